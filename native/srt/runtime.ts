// Routes the addon's event batches to the object owning each SRT socket. There
// is one per process because libsrt and the addon's reactor thread are.
import { loadNative, type NativeEvent, type NativeSrt } from './binding.js';

// A server, a connection or a pending connect: whoever owns an SRT socket.
export interface SocketOwner {
  handleEvent(event: NativeEvent): void;
  // shutdownSrt() closed the socket underneath.
  handleShutdown(): void;
}

export class SrtRuntime {
  private readonly owners = new Map<number, SocketOwner>();

  constructor(readonly native: NativeSrt) {
    native.setEventHandler((events) => this.dispatch(events));
  }

  own(fd: number, owner: SocketOwner): void {
    this.owners.set(fd, owner);
  }

  disown(fd: number): void {
    this.owners.delete(fd);
  }

  // Closes every socket, stops the reactor thread and calls srt_cleanup; the
  // owners learn of it afterwards. The runtime can be used again.
  shutdown(): void {
    const owners = [...this.owners.values()];
    this.owners.clear();
    this.native.shutdown();
    for (const owner of owners) owner.handleShutdown();
  }

  private dispatch(events: NativeEvent[]): void {
    let failure: { error: unknown } | undefined;
    for (const event of events) {
      const owner = this.owners.get(event.type === 'accept' ? event.listener : event.fd);
      if (owner === undefined) {
        // The listener was closed while the accept was in flight.
        if (event.type === 'accept') this.native.close(event.fd);
        continue;
      }
      try {
        owner.handleEvent(event);
      } catch (error) {
        // A throwing listener must not lose the rest of the batch (a close
        // event, another connection's data); report the first one afterwards.
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }
}

let defaultRuntime: SrtRuntime | undefined;

export function srtRuntime(): SrtRuntime {
  defaultRuntime ??= new SrtRuntime(loadNative());
  return defaultRuntime;
}

// The runtime if the addon was ever used, without loading it.
export function existingSrtRuntime(): SrtRuntime | undefined {
  return defaultRuntime;
}
