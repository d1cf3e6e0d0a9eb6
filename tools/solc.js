#!/usr/bin/env node
// Solidity standard-JSON compile with a compiler from node_modules (no download):
//   node tools/solc.js [module] < input.json > output.json
// `module` is "solc" (the pinned 0.8 compiler, default) or "solc-0.7" (npm:solc@0.7.6).
// Both packages ship their compiler (soljson.js, emscripten) inside the npm tarball.
"use strict";
const path = require("path");
const root = path.resolve(__dirname, "..");
const mod = process.argv[2] || "solc";
const solc = require(require.resolve(mod, { paths: [root] }));
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => { input += c; });
process.stdin.on("end", () => {
  const out = solc.compile(input);
  process.stdout.write(JSON.stringify({ version: solc.version(), output: JSON.parse(out) }));
});
