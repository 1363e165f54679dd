/**
 * The layering of tap-postgres, checked in CI (`npm run layers`). Each layer may import only from
 * layers below it; layers on the same rank are peers and may not import each other. docs/DEVELOPING.md ("Layers")
 * says what each folder holds and why the order is this one.
 */
const LAYERS = [
  ['src/errors.ts'],
  ['src/values/'],
  ['src/log/'],
  ['src/config/'],
  ['src/pg/'],
  ['src/singer/'],
  ['src/catalog/'],
  ['src/protocol/'],
  ['src/read/', 'src/replication/'],
  ['workers/'],
  ['src/sync/'],
  ['src/check/'],
  ['src/shard/'],
  ['src/about.ts'],
  ['src/cli/', 'src/docs/'],
]

const esc = (p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const pathOf = (members) => `^(${members.map(esc).join('|')})`

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'An import cycle means two modules are one module in two files: merge them or cut the cycle.',
    from: {},
    to: { circular: true },
  },
]
LAYERS.forEach((members, rank) => {
  const above = LAYERS.slice(rank + 1).flat()
  if (above.length > 0) {
    forbidden.push({
      name: `layer-${rank}-imports-up`,
      severity: 'error',
      comment: `${members.join(', ')} may not import a higher layer (${above.join(', ')}).`,
      from: { path: pathOf(members) },
      to: { path: pathOf(above) },
    })
  }
  for (const m of members) {
    const peers = members.filter((p) => p !== m)
    if (peers.length === 0) continue
    forbidden.push({
      name: `peer-${m.replace(/\W+/g, '-')}`,
      severity: 'error',
      comment: `${m} and ${peers.join(', ')} are peers: neither imports the other.`,
      from: { path: pathOf([m]) },
      to: { path: pathOf(peers) },
    })
  }
})

forbidden.push({
  name: 'src-not-from-tests-or-scripts',
  severity: 'error',
  comment: 'Shipped code never imports tests or scripts.',
  from: { path: '^(src|workers)/' },
  to: { path: '^(test|scripts)/' },
})

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.d.ts'] },
  },
}
