// How server-side apply sees the fields of the kinds podrun serves, where that differs from the defaults (a
// list is atomic, a map or struct is granular, a field is absent from a new empty object): transcribed from the
// markers of k8s.io/api's types.go (core, apps, batch, discovery, coordination, storage v1) and apimachinery's
// meta/v1 — `+listType`/`+listMapKey`, and `patchStrategy:"merge"`/`patchMergeKey` for lists without a
// listType (as kube-openapi's schema conversion reads them), `+structType=atomic`/`+mapType=atomic`.
// Codes: 'atomic', 'set', 'map:<key>,<key>' (an associative list by those keys), plus ' present' for a
// field that the Go zero value of its object has (a struct that is not a pointer, or a list or map without
// omitempty, marshalled as null): a create does not add such a field itself, only what is under it, which
// is why a pod's managedFields show `f:spec` without `.` but `f:labels` with one.

/** Structs that are one value for ownership (`+structType=atomic`). */
export const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  'ConfigMapKeySelector',
  'EndpointAddress',
  'EndpointPort',
  'LabelSelector',
  'LocalObjectReference',
  'NodeSelector',
  'NodeSelectorTerm',
  'ObjectFieldSelector',
  'ObjectReference',
  'OwnerReference',
  'ResourceFieldSelector',
  'SecretKeySelector',
  'SecretReference',
  'TopologySelectorTerm',
  'TypedLocalObjectReference',
]);

export const FIELD_CODES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Capabilities: {
    add: 'atomic',
    drop: 'atomic',
  },
  CephFSPersistentVolumeSource: {
    monitors: 'atomic present',
  },
  CephFSVolumeSource: {
    monitors: 'atomic present',
  },
  ConfigMap: {
    metadata: 'present',
  },
  ConfigMapProjection: {
    items: 'atomic',
  },
  ConfigMapVolumeSource: {
    items: 'atomic',
  },
  Container: {
    args: 'atomic',
    command: 'atomic',
    env: 'map:name',
    envFrom: 'atomic',
    ports: 'map:containerPort,protocol',
    resizePolicy: 'atomic',
    resources: 'present',
    restartPolicyRules: 'atomic',
    volumeDevices: 'map:devicePath',
    volumeMounts: 'map:mountPath',
  },
  ContainerImage: {
    names: 'atomic present',
  },
  ContainerStatus: {
    allocatedResourcesStatus: 'map:name',
    lastState: 'present',
    state: 'present',
    volumeMounts: 'map:mountPath',
  },
  ControllerRevision: {
    metadata: 'present',
  },
  Deployment: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  DeploymentSpec: {
    strategy: 'present',
    template: 'present',
  },
  DeploymentStatus: {
    conditions: 'map:type',
  },
  DownwardAPIProjection: {
    items: 'atomic',
  },
  DownwardAPIVolumeSource: {
    items: 'atomic',
  },
  Endpoint: {
    addresses: 'set present',
    conditions: 'present',
  },
  EndpointHints: {
    forNodes: 'atomic',
    forZones: 'atomic',
  },
  EndpointSlice: {
    endpoints: 'atomic present',
    metadata: 'present',
    ports: 'atomic present',
  },
  EndpointSubset: {
    addresses: 'atomic',
    notReadyAddresses: 'atomic',
    ports: 'atomic',
  },
  Endpoints: {
    metadata: 'present',
    subsets: 'atomic',
  },
  Event: {
    involvedObject: 'present',
    metadata: 'present',
    source: 'present',
  },
  ExecAction: {
    command: 'atomic',
  },
  FCVolumeSource: {
    targetWWNs: 'atomic',
    wwids: 'atomic',
  },
  HTTPGetAction: {
    httpHeaders: 'atomic',
  },
  HostAlias: {
    hostnames: 'atomic',
  },
  ISCSIPersistentVolumeSource: {
    portals: 'atomic',
  },
  ISCSIVolumeSource: {
    portals: 'atomic',
  },
  Job: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  JobSpec: {
    template: 'present',
  },
  JobStatus: {
    conditions: 'atomic',
  },
  LabelSelector: {
    matchExpressions: 'atomic',
  },
  LabelSelectorRequirement: {
    values: 'atomic',
  },
  Lease: {
    metadata: 'present',
    spec: 'present',
  },
  LoadBalancerIngress: {
    ports: 'atomic',
  },
  LoadBalancerStatus: {
    ingress: 'atomic',
  },
  Namespace: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  NamespaceSpec: {
    finalizers: 'atomic',
  },
  NamespaceStatus: {
    conditions: 'map:type',
  },
  Node: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  NodeAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: 'atomic',
  },
  NodeDaemonEndpoints: {
    kubeletEndpoint: 'present',
  },
  NodeSelector: {
    nodeSelectorTerms: 'atomic present',
  },
  NodeSelectorRequirement: {
    values: 'atomic',
  },
  NodeSelectorTerm: {
    matchExpressions: 'atomic',
    matchFields: 'atomic',
  },
  NodeSpec: {
    podCIDRs: 'set',
    taints: 'atomic',
  },
  NodeStatus: {
    addresses: 'map:type',
    conditions: 'map:type',
    daemonEndpoints: 'present',
    declaredFeatures: 'atomic',
    images: 'atomic',
    nodeInfo: 'present',
    runtimeHandlers: 'atomic',
    volumesAttached: 'atomic',
    volumesInUse: 'atomic',
  },
  ObjectMeta: {
    finalizers: 'set',
    managedFields: 'atomic',
    ownerReferences: 'map:uid',
  },
  PersistentVolume: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  PersistentVolumeClaim: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  PersistentVolumeClaimSpec: {
    accessModes: 'atomic',
    resources: 'present',
  },
  PersistentVolumeClaimStatus: {
    accessModes: 'atomic',
    conditions: 'map:type',
  },
  PersistentVolumeClaimTemplate: {
    metadata: 'present',
    spec: 'present',
  },
  PersistentVolumeSpec: {
    accessModes: 'atomic',
    mountOptions: 'atomic',
  },
  Pod: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  PodAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: 'atomic',
    requiredDuringSchedulingIgnoredDuringExecution: 'atomic',
  },
  PodAffinityTerm: {
    matchLabelKeys: 'atomic',
    mismatchLabelKeys: 'atomic',
    namespaces: 'atomic',
  },
  PodAntiAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: 'atomic',
    requiredDuringSchedulingIgnoredDuringExecution: 'atomic',
  },
  PodDNSConfig: {
    nameservers: 'atomic',
    options: 'atomic',
    searches: 'atomic',
  },
  PodFailurePolicy: {
    rules: 'atomic present',
  },
  PodFailurePolicyOnExitCodesRequirement: {
    values: 'set present',
  },
  PodFailurePolicyRule: {
    onPodConditions: 'atomic',
  },
  PodSecurityContext: {
    supplementalGroups: 'atomic',
    sysctls: 'atomic',
  },
  PodSpec: {
    containers: 'map:name present',
    ephemeralContainers: 'map:name',
    evictionResponders: 'map:name',
    hostAliases: 'map:ip',
    imagePullSecrets: 'map:name',
    initContainers: 'map:name',
    nodeSelector: 'atomic',
    readinessGates: 'atomic',
    resourceClaims: 'map:name',
    schedulingGates: 'map:name',
    tolerations: 'atomic',
    topologySpreadConstraints: 'map:topologyKey,whenUnsatisfiable',
    volumes: 'map:name',
  },
  PodStatus: {
    conditions: 'map:type',
    containerStatuses: 'atomic',
    ephemeralContainerStatuses: 'atomic',
    hostIPs: 'atomic',
    initContainerStatuses: 'atomic',
    nodeAllocatableResourceClaimStatuses: 'map:resourceClaimName',
    podIPs: 'map:ip',
    resourceClaimStatuses: 'map:name',
    volumeHealth: 'map:name',
  },
  PodTemplateSpec: {
    metadata: 'present',
    spec: 'present',
  },
  PreferredSchedulingTerm: {
    preference: 'present',
  },
  ProjectedVolumeSource: {
    sources: 'atomic present',
  },
  RBDPersistentVolumeSource: {
    monitors: 'atomic present',
  },
  RBDVolumeSource: {
    monitors: 'atomic present',
  },
  ReplicaSet: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  ReplicaSetSpec: {
    template: 'present',
  },
  ReplicaSetStatus: {
    conditions: 'map:type',
  },
  ResourceRequirements: {
    claims: 'map:name',
  },
  Secret: {
    metadata: 'present',
  },
  SecretProjection: {
    items: 'atomic',
  },
  SecretVolumeSource: {
    items: 'atomic',
  },
  Service: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  ServiceAccount: {
    imagePullSecrets: 'atomic',
    metadata: 'present',
    secrets: 'map:name',
  },
  ServiceSpec: {
    clusterIPs: 'atomic',
    externalIPs: 'atomic',
    ipFamilies: 'atomic',
    loadBalancerSourceRanges: 'atomic',
    ports: 'map:port,protocol',
    selector: 'atomic',
  },
  ServiceStatus: {
    conditions: 'map:type',
    loadBalancer: 'present',
  },
  StatefulSet: {
    metadata: 'present',
    spec: 'present',
    status: 'present',
  },
  StatefulSetSpec: {
    template: 'present',
    updateStrategy: 'present',
    volumeClaimTemplates: 'atomic',
  },
  StatefulSetStatus: {
    conditions: 'map:type',
  },
  StorageClass: {
    allowedTopologies: 'atomic',
    metadata: 'present',
    mountOptions: 'atomic',
  },
  SuccessPolicy: {
    rules: 'atomic present',
  },
  TopologySelectorLabelRequirement: {
    values: 'atomic present',
  },
  TopologySelectorTerm: {
    matchLabelExpressions: 'atomic',
  },
  TopologySpreadConstraint: {
    matchLabelKeys: 'atomic',
  },
  UncountedTerminatedPods: {
    failed: 'set',
    succeeded: 'set',
  },
  VolumeMount: {
    bindMountOptions: 'set',
  },
  WeightedPodAffinityTerm: {
    podAffinityTerm: 'present',
  },
};
