/** The same list through the local runner, against a fresh emulator with the given seed. */
import { join } from 'node:path';
import { loadOptions } from '../../../src/config/load.js';
import { startEmulator } from '../../../src/emulator/index.js';
import { LocalRunner } from '../../../workers/local-runner.js';
import { memoryStores } from '../../../src/engine/memory-store.js';
import { buildEngineParts } from '../../../workers/engine-parts.js';
import { submitBatch } from '../../../src/engine/submit.js';
import { silentLogger } from '../../../src/log/logger.js';

/** Returns the path of the result file. */
export async function runLocal(file: string, dir: string, seed: string, profile = 'standard'): Promise<string> {
  const emulator = await startEmulator({ port: 0, seed });
  try {
    const options = loadOptions({
      env: { ...emulator.env, RISKSCREEN_RATES: 'status=5000,tenure=5000,tenureCmcc=5000,resale=5000,callDuration=5000' },
      cwd: dir,
    });
    const stores = memoryStores();
    const dataDir = join(dir, 'local-data');
    const parts = buildEngineParts(options, stores, silentLogger, dataDir);
    try {
      const runner = new LocalRunner({ context: parts.context });
      const { meta } = await submitBatch(stores.batches, dataDir, { file, input: {}, profile });
      await runner.run(meta.id);
      const view = await stores.batches.get(meta.id);
      if (!view?.resultPath) throw new Error(`local batch ended ${view?.status}: ${view?.reason}`);
      return view.resultPath;
    } finally {
      await parts.client.close();
    }
  } finally {
    await emulator.close();
  }
}
