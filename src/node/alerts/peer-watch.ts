/**
 * Which validator peers this node has seen and which of them are disconnected now, and since
 * when: the input of the node_down rule. Peers are known by node id (their certificate key);
 * a peer's role comes from its p2p hello.
 */
export class PeerWatch {
  private readonly peers = new Map<string, { address: string; up: boolean; since: number }>();

  /** A validator peer connected or disconnected (full nodes are not watched). */
  onPeer(id: string, event: "up" | "down", now: number, info?: { role: string; address: string }): void {
    const known = this.peers.get(id);
    if (event === "up") {
      if (info && info.role !== "validator") {
        this.peers.delete(id);
        return;
      }
      this.peers.set(id, { address: info?.address ?? known?.address ?? "", up: true, since: now });
    } else if (known?.up) {
      this.peers.set(id, { ...known, up: false, since: now });
    }
  }

  down(): Array<{ id: string; address: string; downSince: number }> {
    return [...this.peers].filter(([, p]) => !p.up).map(([id, p]) => ({ id, address: p.address, downSince: p.since }));
  }
}
