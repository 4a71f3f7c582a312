// Trie roots computed by chopsticks' Rust executor, for fennel-gov's cross-check tests.
// Input (stdin): JSON [{"entries": [[keyHex, valueHex], ...], "version": 0|1}, ...]
// Output (stdout): JSON [rootHex, ...]
import * as executor from '@acala-network/chopsticks-executor';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const cases = JSON.parse(input);
const roots = [];
for (const c of cases) roots.push(await executor.calculate_state_root(c.entries, c.version));
console.log(JSON.stringify(roots));
process.exit(0);
