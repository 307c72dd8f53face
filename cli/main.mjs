/**
 * Dispatch for the wsframe command line. Every module in cli/commands/ is a command named after
 * its file, exporting `summary` (one line for --help), `usage` (its own help text) and
 * `run(args) -> Promise<exit code>`.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, basename } from 'node:path';

const COMMANDS_DIR = fileURLToPath(new URL('./commands/', import.meta.url));

/** Command names in the order --help lists them. */
export function commandNames() {
  return readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => basename(f, '.mjs'))
    .sort();
}

export async function loadCommand(name) {
  return import(pathToFileURL(join(COMMANDS_DIR, `${name}.mjs`)).href);
}

export async function helpText() {
  const names = commandNames();
  const width = Math.max(...names.map((n) => n.length));
  const lines = [];
  for (const name of names) {
    const cmd = await loadCommand(name);
    lines.push(`  ${name.padEnd(width)}  ${cmd.summary}`);
  }
  return [
    'wsframe: a fast WebSocket (RFC 6455) codec for Node.js, and its tools',
    '',
    'Usage: wsframe <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `wsframe <command> --help` for a command\'s options. `npm start` runs `wsframe demo`.',
  ].join('\n');
}

/** Runs the command line; returns the process exit code. */
export async function main(argv) {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await helpText()) + '\n');
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { createRequire } = await import('node:module');
    process.stdout.write(createRequire(import.meta.url)('../package.json').version + '\n');
    return 0;
  }
  if (!commandNames().includes(name)) {
    process.stderr.write(`wsframe: unknown command '${name}'\n\n${await helpText()}\n`);
    return 2;
  }
  const cmd = await loadCommand(name);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    // Bad options (parseArgs) and known errors are one line, not a stack trace.
    if (err && (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' || err.code === 'WSFRAME_CLI_USAGE')) {
      process.stderr.write(`wsframe ${name}: ${err.message}\n\n${cmd.usage.trimEnd()}\n`);
      return 2;
    }
    if (err && err.code === 'WSFRAME_CLI_FAILURE') {
      process.stderr.write(`wsframe ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
