// The 200-document paste the browser budget is measured on: what a platform engineer
// pastes into the Catalyst UI when reviewing a batch of Blueprints. 33 components in the
// DOMAIN.md layout (blueprint.yaml, chart/Chart.yaml, chart/values.yaml and a
// three-document bootstrap-kit file each: 6 documents) plus the template's
// flux-system GitRepository and Kustomization = 200 YAML documents. A few violations
// are seeded so the rules do real work: a clean paste would let a rule that bails out
// early look fast. Deterministic, so every run measures the same input.

const COMPONENTS = 33;

function values(name, i) {
  const lines = [
    'global:',
    '  imageRegistry: ""',
    `${name.replace(/-/g, '')}:`,
    '  enabled: true',
    `  replicaCount: ${1 + (i % 3)}`,
    '  image:',
    `    repository: ${name}`,
    `    tag: v${i % 5}.${i % 11}.0`,
    '    pullPolicy: IfNotPresent',
    '  resources:',
    '    requests:',
    `      cpu: ${50 + i}m`,
    `      memory: ${64 + 8 * (i % 9)}Mi`,
    '    limits:',
    `      memory: ${256 + 16 * (i % 7)}Mi`,
    '  podSecurityContext:',
    '    runAsNonRoot: true',
    '    seccompProfile:',
    '      type: RuntimeDefault',
    '  service:',
    '    type: ClusterIP',
    `    port: ${8000 + i}`,
    '  ingress:',
    '    enabled: false',
    `    host: ${name}.\${SOVEREIGN_FQDN}`,
    '  metrics:',
    '    serviceMonitor:',
    '      enabled: true',
    '      interval: 30s',
    '  env:',
    '    - name: LOG_LEVEL',
    '      value: info',
    '    - name: ORGANIZATION_SCOPE',
    '      value: "all"',
  ];
  // Seeded: a retired term in a values comment.
  if (i % 11 === 3) lines.push('  # per-tenant overrides live in the organization chart');
  return lines.join('\n') + '\n';
}

/** The paste: `{files, documents}`, `files` as `lint()` takes them. */
export function pasteOf200Documents() {
  const files = [];
  let documents = 0;
  const add = (path, docs) => {
    files.push({ path, text: docs.join('---\n') });
    documents += docs.length;
  };
  for (let i = 0; i < COMPONENTS; i++) {
    const name = `component-${String(i).padStart(2, '0')}`;
    const version = `1.${i % 7}.${i % 13}`;
    // Seeded: one Blueprint out of lockstep with its chart, one range pin.
    const bpVersion = i === 5 ? '0.0.1' : version;
    const pin = i === 8 ? '>=1.0' : version;
    add(`platform/${name}/blueprint.yaml`, [
      `apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-${name}\nspec:\n  version: ${bpVersion}\n  displayName: Component ${i}\n  category: platform\n`,
    ]);
    add(`platform/${name}/chart/Chart.yaml`, [
      `apiVersion: v2\nname: bp-${name}\ndescription: Catalyst Blueprint chart for ${name}\ntype: application\nversion: ${version}\ndependencies:\n  - name: upstream-${i}\n    version: "${1 + (i % 4)}.${i % 10}.0"\n    repository: https://charts.example.org/upstream-${i}\n`,
    ]);
    add(`platform/${name}/chart/values.yaml`, [values(name, i)]);
    const nn = String(i + 1).padStart(2, '0');
    add(`clusters/_template/bootstrap-kit/${nn}-${name}.yaml`, [
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`,
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: bp-${name}\n  namespace: flux-system\nspec:\n  type: oci\n  interval: 10m\n  url: oci://harbor.\${SOVEREIGN_FQDN}/catalyst\n`,
      `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  targetNamespace: ${name}\n  chart:\n    spec:\n      chart: bp-${name}\n      version: "${pin}"\n      sourceRef:\n        kind: HelmRepository\n        name: bp-${name}\n  values:\n    global:\n      imageRegistry: harbor.\${SOVEREIGN_FQDN}\n`,
    ]);
  }
  add('clusters/_template/flux-system/gitrepository.yaml', [
    // Seeded: the non-canonical host the platform kept fixing by hand.
    'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: platform\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://gitea.${SOVEREIGN_FQDN}/openova/platform.git\n  ref:\n    branch: main\n',
    'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: organizations\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./organizations\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: platform\n',
  ]);
  return { files, documents };
}
