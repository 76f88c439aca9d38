#!/usr/bin/env node
// Fails CI when jest skipped a test it should have run. Usage: check-skips.mjs <jest --json file> <services|embedded>
//   services: the MySQL + Redis passes run everything: no test may be skipped, pending or todo.
//   embedded: only tests declared to need MySQL/Redis (describeWithServices in test/support/backends.ts,
//             whose skipped block is titled "… (needs MySQL Redis)") may be skipped.
import { readFileSync } from 'node:fs';

const [file, mode] = process.argv.slice(2);
if (!file || !['services', 'embedded'].includes(mode)) {
  console.error('usage: check-skips.mjs <jest-json-file> services|embedded');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const declaredNeedsServices = /\(needs (MySQL|Redis)( Redis)? ?\)$/;
const ran = new Set(['passed', 'failed']);

const offenders = [];
let allowed = 0;
for (const suite of report.testResults) {
  for (const test of suite.assertionResults) {
    if (ran.has(test.status)) continue;
    const declared = test.status === 'pending' && test.ancestorTitles.some((title) => declaredNeedsServices.test(title.trim()));
    if (mode === 'embedded' && declared) allowed++;
    else offenders.push(`${test.status}: ${suite.name.replace(`${process.cwd()}/`, '')} › ${test.fullName}`);
  }
}
if (report.numTotalTestSuites > 0 && report.testResults.length === 0) offenders.push('no test results in the report');
if (offenders.length > 0) {
  console.error(`jest skipped ${offenders.length} test(s) that must run in this pass (${mode}):`);
  for (const line of offenders) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`skip check (${mode}): nothing skipped${allowed ? ` but ${allowed} test(s) declared to need MySQL/Redis` : ''}`);
