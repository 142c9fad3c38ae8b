// What kube-proxy programs, as runtime-neutral data: every Service VIP port and the endpoints new connections
// to it may go to. `src/network/proxy/` computes it from Services and EndpointSlices; a runtime that gives pods
// a network of their own installs it in each pod's network namespace (RuntimeService.setServiceRules), and the
// proxy installs it in the host's for the machine's own clients.

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServiceEndpoint {
  ip: string;
  port: number;
}

export interface ServicePortRule {
  /** kube-proxy's ServicePortName, `<ns>/<name>:<port name>` (`<ns>/<name>` when unnamed), for comments. */
  service: string;
  clusterIP: string;
  protocol: ServiceProtocol;
  port: number;
  /**
   * Where new connections go, already chosen as kube-proxy does (CategorizeEndpoints): the ready endpoints,
   * else the serving and terminating ones. Empty: connections are refused at once.
   */
  endpoints: ServiceEndpoint[];
  /** `sessionAffinity: ClientIP` timeout in seconds; absent for `None`. */
  affinityTimeoutSeconds?: number;
}

export interface ServiceRules {
  /** The service CIDR: traffic to an address in it that no Service holds is dropped (never leaves the machine). */
  serviceCidr: string;
  /** Every allocated ClusterIP, including those of Services with no ports: other ports on them are refused. */
  clusterIPs: string[];
  ports: ServicePortRule[];
}

/** Where a runtime's pods reach the node (the bridge's address on the host runtime), and their network. */
export interface PodNetworkInfo {
  /** The node's address as pods see it: podrun's cluster DNS listens there. */
  gateway: string;
  podCidr: string;
  /** The host's interface to the pods (the host runtime's bridge): the host routes the service CIDR there. */
  hostInterface?: string;
}
