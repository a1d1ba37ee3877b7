// The epoll reactor: one native thread waits in srt_epoll_uwait, accepts
// connections, reads every available message and notices broken sockets, then
// hands the results over as one batch. It knows nothing of Node-API: the addon
// gives it a `wake` function that schedules a JS call.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "srt_headers.h"

namespace srtnative {

enum class EventType { kAccept, kData, kClose, kConnected, kError };

// One thing that happened on one socket, produced on the reactor thread.
struct Event {
  EventType type = EventType::kData;
  SRTSOCKET fd = SRT_INVALID_SOCK;
  SRTSOCKET listener = SRT_INVALID_SOCK;  // kAccept: the listening socket
  std::string address;                    // kAccept / kConnected: peer
  int port = 0;
  std::string streamId;                   // kAccept / kConnected
  std::vector<uint8_t> data;              // kData: messages back to back
  std::vector<uint32_t> sizes;            // kData: size of each message
  int code = 0;                           // kError: reject reason, kClose: SRT error
  std::string message;                    // kError / kClose: human readable
};

class Reactor {
 public:
  // Called on the reactor thread when the pending batch goes from empty to
  // non-empty; returns false when the consumer is gone (shutting down).
  using WakeFn = std::function<bool()>;

  Reactor() = default;
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  ~Reactor();

  // srt_startup, srt_epoll_create and the thread. Main thread only.
  bool Start(WakeFn wake, std::string* error);
  // Stops and joins the thread, closes every socket still registered, releases
  // the epoll and calls srt_cleanup. Safe to call twice. Main thread only.
  void Stop();
  bool running() const { return running_; }

  // Registry, main thread. Every socket the addon created is tracked so Stop()
  // closes it even if JavaScript never did.
  void Track(SRTSOCKET fd);
  // Subscribes a tracked idle socket: a listener for accepts, a caller for
  // the end of its non-blocking connect (before srt_connect is called, as
  // libsrt reports nothing for a socket that failed before it was watched).
  bool Watch(SRTSOCKET fd, bool listener, std::string* error);
  // Back to idle, e.g. when srt_connect failed synchronously.
  void Unwatch(SRTSOCKET fd);
  // Forgets the socket and unsubscribes it; the caller then calls srt_close.
  void Forget(SRTSOCKET fd);

  // Moves the pending batch out (main thread, inside the JS callback) and lets
  // a reactor thread that waits for room continue.
  std::vector<Event> TakePending();

  // "A handshake is coming": called by the listen callback on libsrt's
  // receiver thread. Takes only wake_mutex_, which the reactor never holds
  // while calling into libsrt, and wakes a reactor that sleeps because only
  // listeners are subscribed. Safe after Stop() (sets a flag nobody reads).
  void HandshakeComing();

 private:
  enum class Kind { kIdle, kListener, kConnecting, kConnected, kDead };

  void Run();
  void HandleReady(const SRT_EPOLL_EVENT& ready, std::vector<Event>* out);
  void AcceptAll(SRTSOCKET listener, std::vector<Event>* out);
  // Reads until SRT_EASYNCRCV; returns false when the connection is gone.
  bool ReadAll(SRTSOCKET fd, std::vector<Event>* out, int* error, std::string* text);
  void MarkDead(SRTSOCKET fd);
  bool KindOf(SRTSOCKET fd, Kind* kind);
  void Publish(std::vector<Event>&& events);
  // Counters for a socket entering / leaving the epoll; registry_mutex_ held.
  void CountSubscribed(Kind kind);
  void CountUnsubscribed(Kind kind);
  // After a counter went up or stop_ was set: wakes a sleeping reactor.
  // `hot` also starts a polling period, as after a handshake.
  void WakeRun(bool hot);

  WakeFn wake_;
  int eid_ = -1;
  bool running_ = false;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  // Registry: socket -> what the reactor should do with its readiness.
  // libsrt is called with this mutex held (epoll add/remove), so the listen
  // callback must never take it.
  std::mutex registry_mutex_;
  std::unordered_map<SRTSOCKET, Kind> kinds_;
  // Written under registry_mutex_, read by the sleeping reactor under
  // wake_mutex_ (hence atomic). active_ counts connecting + connected, so
  // subscribed_ - active_ is the number of listeners.
  std::atomic<int> subscribed_{0};  // sockets in the epoll
  std::atomic<int> active_{0};

  // Where the reactor sleeps: with nothing subscribed (until a socket is), or
  // with only listeners (until a handshake, a non-listener, or the safety
  // timeout). Never held while calling libsrt.
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  bool hot_requested_ = false;  // a handshake is coming: poll for a while

  // Batch not yet taken by JavaScript; at most one JS call is scheduled.
  std::mutex pending_mutex_;
  std::condition_variable drained_cv_;
  std::vector<Event> pending_;
  size_t pending_bytes_ = 0;
  bool call_scheduled_ = false;

  std::vector<char> recv_buffer_;
};

}  // namespace srtnative
