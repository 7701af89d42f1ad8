// A first-in first-out queue of requests (a client's reply order, a server connection's in-flight
// requests) that keeps its array. At pipeline depth 1 a queue empties after every request, and
// emptying an array (`length = 0`) or starting a fresh one gives its backing store back, so the
// next push allocates it again: several times slower than writing into slots already there.
import type {Request} from './request.js'

/** An emptied queue longer than this starts a new array, so one deep burst is not kept forever. */
const SHRINK_ABOVE = 1024

export class RequestQueue {
  /** items[head, tail) are queued; slots outside hold undefined, so nothing is kept alive */
  private items: Array<Request | undefined> = []
  private head = 0
  private tail = 0

  get length(): number {
    return this.tail - this.head
  }

  push(request: Request): void {
    this.items[this.tail++] = request
  }

  /** The oldest request, still queued. */
  peek(): Request | undefined {
    return this.head < this.tail ? this.items[this.head] : undefined
  }

  /** The i-th oldest request (0 is the oldest). */
  at(i: number): Request | undefined {
    return i >= 0 && this.head + i < this.tail ? this.items[this.head + i] : undefined
  }

  /** Removes and returns the oldest request. */
  shift(): Request | undefined {
    if (this.head === this.tail) return undefined
    const request = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head === this.tail) {
      this.head = 0
      this.tail = 0
      if (this.items.length > SHRINK_ABOVE) this.items = []
    } else if (this.head > SHRINK_ABOVE && this.head * 2 > this.tail) {
      // a queue that never empties: drop the consumed front now and then
      this.items = this.items.slice(this.head, this.tail)
      this.tail -= this.head
      this.head = 0
    }
    return request
  }

  /** The queued requests, oldest first, without removing them. */
  toArray(): Request[] {
    return this.items.slice(this.head, this.tail) as Request[]
  }

  /** Removes every request and returns them, oldest first. */
  takeAll(): Request[] {
    const all = this.toArray()
    this.items = []
    this.head = 0
    this.tail = 0
    return all
  }
}
