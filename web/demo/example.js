// The files the demo opens with: one Blueprint with its chart and its bootstrap-kit
// pin, and the template's GitRepository, with two of the mistakes the platform kept
// making (a chart bumped without its Blueprint, a Gitea host without a location code).

export const EXAMPLE = [
  {
    path: 'platform/flux/blueprint.yaml',
    text: `apiVersion: catalyst.openova.io/v1alpha1
kind: Blueprint
metadata:
  name: bp-flux
spec:
  version: 1.1.4
  displayName: Flux
  category: platform
`,
  },
  {
    path: 'platform/flux/chart/Chart.yaml',
    text: `apiVersion: v2
name: bp-flux
description: Catalyst Blueprint chart for flux
type: application
version: 1.1.5
dependencies:
  - name: flux2
    version: "2.13.0"
    repository: https://charts.example.org/flux2
`,
  },
  {
    path: 'platform/flux/chart/values.yaml',
    text: `global:
  imageRegistry: ""
flux:
  enabled: true
`,
  },
  {
    path: 'clusters/_template/bootstrap-kit/01-flux.yaml',
    text: `apiVersion: v1
kind: Namespace
metadata:
  name: flux
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: flux
  namespace: flux-system
spec:
  interval: 10m
  targetNamespace: flux
  chart:
    spec:
      chart: bp-flux
      version: 1.1.5
      sourceRef:
        kind: HelmRepository
        name: bp-flux
`,
  },
  {
    path: 'clusters/_template/flux-system/gitrepository.yaml',
    text: `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: platform
  namespace: flux-system
spec:
  interval: 1m
  url: https://gitea.\${SOVEREIGN_FQDN}/openova/platform.git
  ref:
    branch: main
`,
  },
];
