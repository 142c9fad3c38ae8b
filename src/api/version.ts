// The Kubernetes version podrun speaks: what /version reports and what the kubelet puts in its node's
// nodeInfo.kubeletVersion, so that `kubectl version` and `kubectl get nodes` agree, as on a cluster.
export const KUBERNETES_GIT_VERSION = 'v1.32.0-podrun';
