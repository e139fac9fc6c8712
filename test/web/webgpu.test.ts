// WebGPU in headless Chromium on SwiftShader (a software Vulkan adapter, so no GPU is needed): two
// training steps of the page's learner on the webgpu provider agree with the same steps on WASM.
// A one-block random ViT keeps this quick on a software GPU; the graphs are the same builders'.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { PageServer } from '../../src/web/server.ts';
import { tempDir } from '../fixtures/data/write.ts';

let server: PageServer;
let browser: Browser;

before(async () => {
  server = await PageServer.start({ port: 0, host: '127.0.0.1', workdir: tempDir('webgpu') });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'],
    env: { ...process.env, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' },
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a training step on WebGPU (SwiftShader) agrees with WASM, and the page says which provider runs', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/?provider=webgpu`);
  await page.waitForFunction('window.l2p', null, { timeout: 60_000 });
  assert.equal(await page.locator('#provider').textContent(), 'webgpu');
  const r = (await page.evaluate(`(async () => {
    const a = await window.l2p.stepCheck('cpu', true);
    const b = await window.l2p.stepCheck('webgpu', true);
    let diff = 0;
    for (const k of Object.keys(a.params)) for (let i = 0; i < a.params[k].length; i++) diff = Math.max(diff, Math.abs(a.params[k][i] - b.params[k][i]));
    return { wasm: a.losses, webgpu: b.losses, diff, n: Object.keys(a.params).length };
  })()`)) as { wasm: number[]; webgpu: number[]; diff: number; n: number };
  console.log(`losses wasm ${r.wasm.join(', ')} | webgpu ${r.webgpu.join(', ')} | max parameter difference ${r.diff}`);
  assert.ok(r.n >= 3, 'prompts, keys and head train');
  for (let s = 0; s < 2; s++) assert.ok(Math.abs(r.wasm[s] - r.webgpu[s]) < 1e-4, `step ${s}: loss ${r.wasm[s]} vs ${r.webgpu[s]}`);
  assert.notEqual(r.wasm[0], r.wasm[1]);
  assert.ok(r.diff < 1e-4, `parameters after two steps differ by ${r.diff}`);
});
