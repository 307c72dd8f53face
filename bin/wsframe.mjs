#!/usr/bin/env node
// The wsframe command line: `wsframe <command> [options]`. Commands are the modules in
// cli/commands/ (one file each), so adding a command is adding a file.
import { main } from '../cli/main.mjs';

process.exitCode = await main(process.argv.slice(2));
