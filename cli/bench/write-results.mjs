/**
 * The runner's output folder: results.json (everything, machine included), results.md (the
 * tables, ready for a README) and one SVG chart per case swept over payload sizes.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { suiteMarkdown, describeMachine } from '../../bench/lib/report.mjs';
import { suiteCharts } from '../../bench/lib/svg.mjs';

const STATUS_TEXT = {
  skipped: 'skipped',
  failed: 'FAILED',
  timeout: 'TIMED OUT',
  interrupted: 'INTERRUPTED',
};

/**
 * A script's own output as markdown: kept as it is when it prints markdown tables, fenced as text
 * when it prints something else (console.table boxes, aligned columns) so it still reads right.
 */
export function asMarkdown(output) {
  const markdownTable = /^\|.*\|\s*$/m.test(output);
  const boxes = /[┌┐└┘│─]/.test(output);
  // Its headings go below the section's own (### bench/<script>).
  return markdownTable && !boxes ? output.replace(/^#{1,3} /gm, '#### ') : '```text\n' + output + '\n```';
}

/** Writes the folder; returns { markdown, charts: file names }. */
export function writeResults(outDir, run) {
  mkdirSync(outDir, { recursive: true });
  const machine = describeMachine(run.machine);
  const charts = [];
  const md = [
    `# wsframe benchmarks${run.quick ? ' (quick mode: few samples, smoke test only)' : ''}`,
    '',
    `- machine: ${machine}`,
    `- date: ${run.startedAt}`,
    `- command: \`${run.command}\``,
    '- values are medians; ratios are against the baseline row of each table (ws + bufferutil where it is measured); the best of each column is bold.',
  ];
  for (const s of run.scripts) {
    if (s.status === 'ok' && s.result) {
      const suite = { ...s.result, suite: s.result.suite ?? s.script.replace(/\.mjs$/, '') };
      md.push('', suiteMarkdown(suite));
      for (const c of suiteCharts(suite, machine)) {
        writeFileSync(join(outDir, c.name), c.svg);
        charts.push(c.name);
        md.push('', `![${c.title}](${c.name})`);
      }
    } else if (s.status === 'no-json' && s.output) {
      // Not on the protocol yet: the script's own (markdown) output, as it printed it.
      md.push('', `### bench/${s.script} (its own output)`, '', asMarkdown(s.output.trim()));
    }
  }
  const problems = run.scripts.filter((s) => s.status !== 'ok' && s.status !== 'no-json');
  if (problems.length > 0) {
    md.push('', '### Not measured', '');
    for (const s of problems) md.push(`- bench/${s.script} (${s.suite}): ${STATUS_TEXT[s.status] ?? s.status}: ${s.error}`);
  }
  const markdown = md.join('\n') + '\n';
  writeFileSync(join(outDir, 'results.md'), markdown);
  const scripts = run.scripts.map(({ output, ...rest }) => rest); // output is in logs/
  writeFileSync(join(outDir, 'results.json'), JSON.stringify({ ...run, scripts, charts }, null, 2) + '\n');
  return { markdown, charts };
}
