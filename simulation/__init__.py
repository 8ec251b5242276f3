"""The kubelet stand-in of the local control plane: pods fail and recover the way a real one shows.

kwok plays the nodes; this package plays what a kubelet, its container runtime, the image
registry and the applications inside the containers would report for each pod: image pulls,
environment and volume resolution (CreateContainerConfigError), exits and restarts with
back-off (CrashLoopBackOff), OOM kills, probes, init containers and Jobs, events and logs.

A pure library (no Django): `spec` is the `simulation:` section of a challenge, `kubelet` turns
a pod and the state of its namespace into the pod's next status, `controller` runs it against a
cluster (`python -m simulation --kubeconfig …`).
"""
