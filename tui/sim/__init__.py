"""A simulated Harvester cluster: a Kubernetes-compatible API server and a KubeVirt-like controller."""
