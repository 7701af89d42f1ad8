// Target writes can fail for a moment while the cluster changes under us: a master fails over
// (connection closed, CLUSTERDOWN, READONLY from a demoted node), a slot moves (TRYAGAIN on
// multi-step moves), a node is still LOADING. Those are retried with a short backoff, a bounded
// number of times; anything else (a wrong type, a bad payload) is a real error and surfaces at once.
const TRANSIENT = /CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|MOVED|ASK|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|Command timed out|Stream isn't writeable/i

export function isTransient(error: unknown): boolean {
  return TRANSIENT.test(String((error as Error)?.message ?? error))
}

export async function retryTransient<T>(operation: () => Promise<T>, attempts = 40): Promise<T> {
  let lastError: unknown
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await operation()
    } catch (error) {
      if (!isTransient(error)) throw error
      lastError = error
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** Math.min(attempt, 5), 1000)))
    }
  }
  throw lastError
}
