/** The conformance corpus with wsframe as the server: see test/conformance-cases.ts. */
import { defineCorpus } from './conformance-suite.js';

defineCorpus('server');
