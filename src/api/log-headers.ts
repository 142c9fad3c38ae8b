// podrun's own response header on a container log (GET pods/{name}/log): the ID (`host://…`) of the run whose
// log the response is. Not Kubernetes': clients that do not know it lose nothing. A client chooses a run by
// the pod's status, which may be behind the kubelet's, which the server chooses by: `podrun logs -f` tells by
// this header that the run it asked for has been restarted meanwhile.
export const CONTAINER_ID_HEADER = 'Podrun-Container-ID';
