// Independent reading of a runtime file, with no fennel-gov code: chopsticks' Rust executor
// (smoldot) runs Core_version, the V14 metadata and AuraApi_slot_duration, and @polkadot/types
// decodes the metadata. Prints JSON {version, pallets: [{name, index, calls: {name: index}}],
// constants: {"Pallet.Name": "0x…"}, extensions, slotDuration}.
import { readFileSync } from 'node:fs';
import { getRuntimeVersion, runTask, destroyWorker } from '@acala-network/chopsticks-core/wasm-executor/index';
import { TypeRegistry, Metadata } from '@polkadot/types';
import { hexToU8a, u8aToHex } from '@polkadot/util';

const [path] = process.argv.slice(2);
const wasm = u8aToHex(readFileSync(path));
const version = await getRuntimeVersion(wasm);

async function call(name, args) {
  const result = await runTask({ wasm, calls: [[name, args]], mockSignatureHost: false, allowUnresolvedImports: false, runtimeLogLevel: 0 });
  if ('Error' in result) throw new Error(result.Error);
  return result.Call.result;
}

const registry = new TypeRegistry();
// Metadata_metadata_at_version(14) answers Option<OpaqueMetadata>: drop the Some byte and the length.
const answer = registry.createType('Option<Bytes>', hexToU8a(await call('Metadata_metadata_at_version', ['0x0e000000'])));
const metadata = new Metadata(registry, answer.unwrap().toU8a(true));
registry.setMetadata(metadata);
const v14 = metadata.asV14;
const pallets = v14.pallets.map((p) => {
  const calls = {};
  if (p.calls.isSome) {
    const def = registry.lookup.getSiType(p.calls.unwrap().type).def.asVariant;
    def.variants.forEach((v) => { calls[v.name.toString()] = v.index.toNumber(); });
  }
  return { name: p.name.toString(), index: p.index.toNumber(), calls, storage: p.storage.isSome ? p.storage.unwrap().items.map((i) => i.name.toString()) : [] };
});
const constants = {};
v14.pallets.forEach((p) => p.constants.forEach((c) => { constants[`${p.name}.${c.name}`] = c.value.toHex(); }));
const extensions = v14.extrinsic.signedExtensions.map((e) => e.identifier.toString());
const slot = await call('AuraApi_slot_duration', []);
console.log(JSON.stringify({ version, pallets, constants, extensions, slotDuration: slot }));
await destroyWorker();
process.exit(0);
