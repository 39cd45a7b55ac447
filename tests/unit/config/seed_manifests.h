// The seed tutorial's manifests, shared by the config unit tests.
#pragma once

namespace skiff::config::test {

// The corrected seed file (examples/hello/deployment.yaml).
inline constexpr const char* kSeedYaml = R"(apiVersion: v1
kind: Service
metadata:
  name: flask-kubernetes-service
spec:
  selector:
    app: flask-kubernetes
  ports:
  - protocol: TCP
    port: 6000
    targetPort: 5000
  type: LoadBalancer
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: flask-kubernetes
spec:
  replicas: 4
  selector:
    matchLabels:
      app: flask-kubernetes
  template:
    metadata:
      labels:
        app: flask-kubernetes
    spec:
      containers:
      - name: flask-kubernetes
        image: flask-kubernetes:latest
        imagePullPolicy: Never
        ports:
        - containerPort: 5000
)";

// The tutorial as originally published: a space in the Service name, no Deployment selector.
inline constexpr const char* kOriginalYaml = R"(apiVersion: v1
kind: Service
metadata:
  name: flask-kubernetes -service
spec:
  selector:
    app: flask-kubernetes
  ports:
  - protocol: TCP
    port: 6000
    targetPort: 5000
  type: LoadBalancer
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: flask-kubernetes
spec:
  replicas: 4
  template:
    metadata:
      labels:
        app: flask-kubernetes
    spec:
      containers:
      - name: flask-kubernetes
        image: flask-kubernetes:latest
        imagePullPolicy: Never
        ports:
        - containerPort: 5000
)";

}  // namespace skiff::config::test
