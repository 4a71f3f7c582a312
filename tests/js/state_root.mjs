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
