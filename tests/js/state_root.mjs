// Independent check of a raw chain spec's state root and genesis hash, with no fennel-gov code:
// the trie root comes from chopsticks' Rust executor (smoldot) compiled to wasm, the genesis header
// is built and hashed with @polkadot/types. Prints JSON {stateRoot, genesisHash, stateVersion}.
import { readFileSync } from 'node:fs';
import * as executor from '@acala-network/chopsticks-executor';
import { TypeRegistry } from '@polkadot/types';

const [specPath, stateVersionArg] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const top = spec.genesis.raw.top;
let stateVersion = stateVersionArg === undefined ? undefined : Number(stateVersionArg);
if (stateVersion === undefined) {
  const version = await executor.get_runtime_version(top['0x3a636f6465']);
  stateVersion = version.stateVersion;
}
const entries = Object.entries(top);
// Child tries, as sc-client-db's apply_new_state -> full_storage_root writes them: each non-empty
// child's root (32 bytes, H256::encode) under ':child_storage:default:' ++ storage key; empty ones
// are removed, not stored. Written from polkadot-sdk's source, not from fennel-gov's.
const childPrefix = Buffer.from(':child_storage:default:').toString('hex');
for (const [storageKey, child] of Object.entries(spec.genesis.raw.childrenDefault || {})) {
  const childEntries = Object.entries(child);
  if (childEntries.length === 0) continue;
  entries.push(['0x' + childPrefix + storageKey.slice(2), await executor.calculate_state_root(childEntries, stateVersion)]);
}
const stateRoot = await executor.calculate_state_root(entries, stateVersion);
const registry = new TypeRegistry();
const extrinsicsRoot = await executor.calculate_state_root([], stateVersion);
const header = registry.createType('Header', {
  parentHash: '0x' + '00'.repeat(32),
  number: 0,
  stateRoot,
  extrinsicsRoot,
  digest: { logs: [] },
});
console.log(JSON.stringify({ stateRoot, extrinsicsRoot, genesisHash: header.hash.toHex(), stateVersion }));
process.exit(0);
