"""API access: kubeconfig, reflectors, the store, actions, access reviews, metrics."""
