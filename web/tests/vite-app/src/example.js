// A GitRepository whose Gitea host names a non-management building block (CG005 at line 8).
export const BAD_REPO = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: platform
  namespace: flux-system
spec:
  interval: 1m
  url: https://gitea.hfrp.openova.io/openova/platform.git
  ref:
    branch: main
`;
