// A fast fake WeChat for the benchmark: the project's own FakeWechatServer (built into dist/ by
// `nest build`) in sandbox mode, so every fresh login code logs in once (a new openid per code) and any
// template and openid is accepted with unlimited subscription credit.
//
// Imported by bench/run.mjs (in-process, the default), or run on its own:
//   node bench/fake-wechat.mjs      → prints {"baseUrl","appId","appSecret"} as one JSON line, runs until SIGTERM
// (bench/run.mjs does that when BENCH_FAKE=process, to give the fake its own event loop).

import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST_FAKE = new URL('../dist/sandbox/fake-wechat.server.js', import.meta.url);

export async function startFakeWechat({ port = 0 } = {}) {
  let FakeWechatServer;
  try {
    ({ FakeWechatServer } = await import(DIST_FAKE.href));
  } catch (error) {
    throw new Error(`cannot load ${fileURLToPath(DIST_FAKE)} (run \`npm run build\` first): ${error.message}`);
  }
  const fake = await FakeWechatServer.start({ acceptAnyCode: true, openSubscriptions: true, port });
  // The fake keeps every accepted message for tests to inspect; a benchmark sends hundreds of thousands.
  const trim = setInterval(() => {
    fake.messages.length = 0;
  }, 1000);
  trim.unref();
  return {
    fake,
    baseUrl: fake.baseUrl,
    appId: fake.appId,
    appSecret: fake.appSecret,
    async close() {
      clearInterval(trim);
      await fake.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = await startFakeWechat({ port: Number(process.env.PORT ?? 0) });
  process.stdout.write(`${JSON.stringify({ baseUrl: started.baseUrl, appId: started.appId, appSecret: started.appSecret })}\n`);
  const stop = () => started.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
