/** The conformance corpus with wsframe as the client: see test/conformance-cases.ts. */
import { defineCorpus } from './conformance-suite.js';

defineCorpus('client');
