// `node bench/profile-top.mjs <file.cpuprofile> [N]`: the top N frames of a V8 CPU profile (from
// `node --cpu-prof`, e.g. BENCH_PROFILE_DIR=… npm run bench) by self time, and the self time summed
// per package (node_modules/<package>, node: internals, the app's dist/), as markdown tables.
//
// Exported too (topFrames, byPackage) for scripts that render several profiles.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export function loadProfile(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const self = new Map(); // node id → sampled µs
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return { nodes: profile.nodes, self, total };
}

function frameKey(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
}

function shortUrl(url) {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\/.*\/(bench\/)/, '$1');
}

export function packageOf(node) {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/dist/')) return 'the app (dist/)';
  return shortUrl(url);
}

/** Frames by self time: [{frame, us, share}] (frames with the same name and place summed). */
export function topFrames({ nodes, self, total }, n = 15) {
  const sums = new Map();
  for (const node of nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const key = frameKey(node);
    sums.set(key, (sums.get(key) ?? 0) + us);
  }
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, us, share: us / total }));
}

export function byPackage({ nodes, self, total }, n = 12) {
  const sums = new Map();
  for (const node of nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const key = packageOf(node);
    sums.set(key, (sums.get(key) ?? 0) + us);
  }
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([pkg, us]) => ({ pkg, us, share: us / total }));
}

export function renderProfile(file, n = 15) {
  const profile = loadProfile(file);
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const lines = ['| self | frame |', '|---:|---|'];
  for (const f of topFrames(profile, n)) lines.push(`| ${pct(f.share)} | \`${f.frame.replace(/\|/g, '\\|')}\` |`);
  lines.push('', '| self | package |', '|---:|---|');
  for (const p of byPackage(profile)) lines.push(`| ${pct(p.share)} | ${p.pkg} |`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/profile-top.mjs <file.cpuprofile> [N]');
    process.exit(2);
  }
  console.log(renderProfile(file, Number(n ?? 15)));
}
