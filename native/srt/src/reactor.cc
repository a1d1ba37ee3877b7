// The epoll reactor thread (see reactor.h). SRT API: srt_epoll_uwait is
// level-triggered here; a socket leaves the epoll as soon as it is known to be
// dead, so a broken socket never makes the loop spin.
#include "reactor.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "net_address.h"

namespace srtnative {

namespace {

// uwait returns early on readiness; the timeout only bounds how long Stop()
// waits for the thread to notice the stop flag. (libsrt's uwait itself wakes
// every 10 ms, which is why a listener-only reactor does not sit in it.)
constexpr int64_t kWaitMs = 100;
// With only listeners subscribed the reactor sleeps on wake_cv_. The listen
// callback wakes it when a handshake reaches its conclusion; the safety
// timeout then looks once (uwait, no wait) for what came without the
// callback, e.g. an HSv4 caller.
constexpr auto kListenerSleep = std::chrono::milliseconds(1000);
// After a wake (or any readiness) the reactor keeps polling in uwait this long,
// so the accept that follows a handshake is picked up at once.
constexpr auto kHotPeriod = std::chrono::seconds(3);
constexpr int kMaxReady = 256;
// Per socket per wake-up, so one busy publisher cannot starve the others.
constexpr int kMaxMessagesPerWake = 4096;
constexpr int kMaxAcceptsPerWake = 64;
// When JavaScript falls this far behind, the reactor stops reading and lets
// libsrt's own receive buffer (and its too-late drop) absorb the excess.
constexpr size_t kMaxPendingBytes = 64u * 1024u * 1024u;
constexpr size_t kEventOverhead = 64;
// Bigger than any live-mode payload (SRT_LIVE_MAX_PLSIZE) and than a typical
// file-mode message.
constexpr size_t kRecvBufferSize = 64 * 1024;

std::string StreamIdOf(SRTSOCKET fd) {
  char buf[1024];
  int len = sizeof(buf);
  if (srt_getsockflag(fd, SRTO_STREAMID, buf, &len) != 0 || len < 0) {
    srt_clearlasterror();
    return std::string();
  }
  return std::string(buf, static_cast<size_t>(len));
}

std::string RejectText(int reason) {
  if (reason >= SRT_REJC_PREDEFINED) {
    return "rejected by the peer application (code " + std::to_string(reason) + ")";
  }
  const char* text = srt_rejectreason_str(reason);
  return text != nullptr ? std::string(text) : std::string("unknown reason");
}

// process.exit() calls exit() without running Node's environment cleanup
// hooks, and exit() destroys libsrt's globals while the reactor thread may
// still be inside srt_epoll_uwait. An atexit handler registered after
// srt_startup runs before those destructors and stops every live reactor.
// The registry is leaked on purpose so it outlives all static destructors.
std::mutex& LiveMutex() {
  static auto* mutex = new std::mutex();
  return *mutex;
}
std::vector<Reactor*>& LiveReactors() {
  static auto* reactors = new std::vector<Reactor*>();
  return *reactors;
}
void StopLiveReactorsAtExit() {
  std::vector<Reactor*> live;
  {
    std::lock_guard<std::mutex> lock(LiveMutex());
    live = LiveReactors();
  }
  for (Reactor* reactor : live) reactor->Stop();
}

}  // namespace

Reactor::~Reactor() { Stop(); }

bool Reactor::Start(WakeFn wake, std::string* error) {
  if (running_) return true;
  if (srt_startup() < 0) {
    *error = std::string("srt_startup: ") + srt_getlasterror_str();
    return false;
  }
  eid_ = srt_epoll_create();
  if (eid_ < 0) {
    *error = std::string("srt_epoll_create: ") + srt_getlasterror_str();
    srt_cleanup();
    return false;
  }
  // An empty container is normal (no socket yet); without this flag uwait
  // would fail instead of waiting.
  srt_epoll_set(eid_, SRT_EPOLL_ENABLE_EMPTY);
  wake_ = std::move(wake);
  stop_ = false;
  recv_buffer_.assign(kRecvBufferSize, 0);
  thread_ = std::thread(&Reactor::Run, this);
  running_ = true;
  static const bool exit_hook_registered = std::atexit(&StopLiveReactorsAtExit) == 0;
  (void)exit_hook_registered;
  {
    std::lock_guard<std::mutex> lock(LiveMutex());
    LiveReactors().push_back(this);
  }
  return true;
}

void Reactor::Stop() {
  if (!running_) return;
  {
    std::lock_guard<std::mutex> lock(LiveMutex());
    auto& live = LiveReactors();
    live.erase(std::remove(live.begin(), live.end(), this), live.end());
  }
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    stop_ = true;
  }
  drained_cv_.notify_all();
  WakeRun(false);
  if (thread_.joinable()) thread_.join();

  std::unordered_map<SRTSOCKET, Kind> kinds;
  {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    kinds.swap(kinds_);
    subscribed_ = 0;
    active_ = 0;
  }
  for (const auto& entry : kinds) {
    srt_epoll_remove_usock(eid_, entry.first);
    srt_close(entry.first);
  }
  srt_epoll_release(eid_);
  eid_ = -1;
  srt_cleanup();
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    pending_.clear();
    pending_.shrink_to_fit();
    pending_bytes_ = 0;
    call_scheduled_ = false;
  }
  recv_buffer_.clear();
  recv_buffer_.shrink_to_fit();
  wake_ = nullptr;
  running_ = false;
}

void Reactor::Track(SRTSOCKET fd) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  kinds_[fd] = Kind::kIdle;
}

bool Reactor::Watch(SRTSOCKET fd, bool listener, std::string* error) {
  {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    auto it = kinds_.find(fd);
    if (it == kinds_.end()) {
      *error = "unknown socket";
      return false;
    }
    if (it->second != Kind::kIdle) {
      *error = "socket is already listening or connecting";
      return false;
    }
    int events = (listener ? SRT_EPOLL_IN : SRT_EPOLL_OUT) | SRT_EPOLL_ERR;
    if (srt_epoll_add_usock(eid_, fd, &events) != 0) {
      *error = std::string("srt_epoll_add_usock: ") + srt_getlasterror_str();
      return false;
    }
    it->second = listener ? Kind::kListener : Kind::kConnecting;
    CountSubscribed(it->second);
  }
  // A new listener: callers often come right away, so poll for a while (this
  // also covers a caller whose handshake does not run the listen callback).
  WakeRun(listener);
  return true;
}

void Reactor::Unwatch(SRTSOCKET fd) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  auto it = kinds_.find(fd);
  if (it == kinds_.end() || it->second == Kind::kIdle) return;
  if (it->second != Kind::kDead) {
    srt_epoll_remove_usock(eid_, fd);
    CountUnsubscribed(it->second);
  }
  it->second = Kind::kIdle;
}

void Reactor::Forget(SRTSOCKET fd) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  auto it = kinds_.find(fd);
  if (it == kinds_.end()) return;
  if (it->second != Kind::kIdle && it->second != Kind::kDead) {
    srt_epoll_remove_usock(eid_, fd);
    CountUnsubscribed(it->second);
  }
  kinds_.erase(it);
}

std::vector<Event> Reactor::TakePending() {
  std::vector<Event> out;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    out.swap(pending_);
    pending_bytes_ = 0;
    call_scheduled_ = false;
  }
  drained_cv_.notify_all();
  return out;
}

void Reactor::CountSubscribed(Kind kind) {
  ++subscribed_;
  if (kind == Kind::kConnecting || kind == Kind::kConnected) ++active_;
}

void Reactor::CountUnsubscribed(Kind kind) {
  --subscribed_;
  if (kind == Kind::kConnecting || kind == Kind::kConnected) --active_;
}

void Reactor::WakeRun(bool hot) {
  {
    // Taken after the state changed, so a reactor between its check and its
    // wait cannot miss the notification.
    std::lock_guard<std::mutex> lock(wake_mutex_);
    if (hot) hot_requested_ = true;
  }
  wake_cv_.notify_all();
}

void Reactor::HandshakeComing() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    hot_requested_ = true;
  }
  wake_cv_.notify_one();
}

void Reactor::Run() {
  using Clock = std::chrono::steady_clock;
  std::vector<SRT_EPOLL_EVENT> ready(kMaxReady);
  Clock::time_point hot_until{};  // in the past
  while (!stop_) {
    // 100: as always (uwait returns early on readiness); 0: one look after
    // the listener-only safety timeout.
    int64_t wait_ms = kWaitMs;
    {
      // Lock order: wake_mutex_ only, no libsrt call inside.
      std::unique_lock<std::mutex> lock(wake_mutex_);
      for (;;) {
        if (stop_) break;
        if (subscribed_ == 0) {
          // Nothing to wait for: sleep without waking up at all.
          wake_cv_.wait(lock);
          continue;
        }
        if (hot_requested_) {
          hot_requested_ = false;
          hot_until = Clock::now() + kHotPeriod;
          break;
        }
        // Connecting or connected sockets: poll exactly as before.
        if (active_ > 0) break;
        // Only listeners: poll while hot, otherwise sleep.
        if (Clock::now() < hot_until) break;
        if (wake_cv_.wait_for(lock, kListenerSleep) == std::cv_status::timeout) {
          wait_ms = 0;
          break;
        }
      }
    }
    if (stop_) break;
    int n = srt_epoll_uwait(eid_, ready.data(), kMaxReady, wait_ms);
    if (n < 0) {
      // Not expected with a valid eid; back off instead of spinning.
      srt_clearlasterror();
      std::unique_lock<std::mutex> lock(wake_mutex_);
      wake_cv_.wait_for(lock, std::chrono::milliseconds(kWaitMs), [this] { return stop_.load(); });
      continue;
    }
    if (n == 0) continue;
    // Something happened (an accept, possibly without the listen callback):
    // keep polling for a while.
    hot_until = Clock::now() + kHotPeriod;
    if (n > kMaxReady) n = kMaxReady;  // the rest stays ready (level-triggered)
    std::vector<Event> events;
    for (int i = 0; i < n; ++i) HandleReady(ready[i], &events);
    if (!events.empty()) Publish(std::move(events));
  }
}

bool Reactor::KindOf(SRTSOCKET fd, Kind* kind) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  auto it = kinds_.find(fd);
  if (it == kinds_.end()) return false;
  *kind = it->second;
  return true;
}

void Reactor::MarkDead(SRTSOCKET fd) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  auto it = kinds_.find(fd);
  if (it == kinds_.end() || it->second == Kind::kDead) return;
  if (it->second != Kind::kIdle) {
    srt_epoll_remove_usock(eid_, fd);
    CountUnsubscribed(it->second);
  }
  it->second = Kind::kDead;
}

void Reactor::HandleReady(const SRT_EPOLL_EVENT& ready, std::vector<Event>* out) {
  Kind kind;
  // Unknown: JavaScript closed it while the event was in flight.
  if (!KindOf(ready.fd, &kind)) return;
  const SRTSOCKET fd = ready.fd;
  switch (kind) {
    case Kind::kListener: {
      if (ready.events & SRT_EPOLL_IN) AcceptAll(fd, out);
      if ((ready.events & SRT_EPOLL_ERR) && srt_getsockstate(fd) != SRTS_LISTENING) {
        MarkDead(fd);
        Event e;
        e.type = EventType::kError;
        e.fd = fd;
        e.message = "listener socket failed";
        out->push_back(std::move(e));
      }
      break;
    }
    case Kind::kConnecting: {
      const SRT_SOCKSTATUS state = srt_getsockstate(fd);
      if (state == SRTS_CONNECTED) {
        bool still_ours = false;
        {
          std::lock_guard<std::mutex> lock(registry_mutex_);
          auto it = kinds_.find(fd);
          if (it != kinds_.end() && it->second == Kind::kConnecting) {
            // From "wait for connected" to "wait for data".
            int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
            srt_epoll_update_usock(eid_, fd, &events);
            it->second = Kind::kConnected;
            still_ours = true;
          }
        }
        if (!still_ours) break;
        Event e;
        e.type = EventType::kConnected;
        e.fd = fd;
        sockaddr_storage peer{};
        int len = sizeof(peer);
        if (srt_getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
          FormatAddress(reinterpret_cast<sockaddr*>(&peer), &e.address, &e.port);
        } else {
          srt_clearlasterror();
        }
        e.streamId = StreamIdOf(fd);
        out->push_back(std::move(e));
      } else if ((ready.events & SRT_EPOLL_ERR) || state >= SRTS_BROKEN) {
        const int reason = srt_getrejectreason(fd);
        MarkDead(fd);
        Event e;
        e.type = EventType::kError;
        e.fd = fd;
        e.code = reason;
        e.message = RejectText(reason);
        out->push_back(std::move(e));
      }
      break;
    }
    case Kind::kConnected: {
      int error = 0;
      std::string text;
      bool alive = true;
      if (ready.events & (SRT_EPOLL_IN | SRT_EPOLL_ERR)) alive = ReadAll(fd, out, &error, &text);
      if (alive && (ready.events & SRT_EPOLL_ERR)) {
        alive = false;
        text = "connection broken";
      }
      if (!alive) {
        MarkDead(fd);
        Event e;
        e.type = EventType::kClose;
        e.fd = fd;
        e.code = error;
        e.message = text;
        out->push_back(std::move(e));
      }
      break;
    }
    case Kind::kIdle:
    case Kind::kDead:
      break;
  }
}

void Reactor::AcceptAll(SRTSOCKET listener, std::vector<Event>* out) {
  for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
    sockaddr_storage peer{};
    int len = sizeof(peer);
    SRTSOCKET ns = srt_accept(listener, reinterpret_cast<sockaddr*>(&peer), &len);
    if (ns == SRT_INVALID_SOCK) {
      srt_clearlasterror();  // SRT_EASYNCRCV: nothing more pending
      break;
    }
    // Inherited from the listener already; set anyway, the reactor and
    // send() rely on it.
    bool no = false;
    srt_setsockflag(ns, SRTO_RCVSYN, &no, sizeof(no));
    srt_setsockflag(ns, SRTO_SNDSYN, &no, sizeof(no));

    Event e;
    e.type = EventType::kAccept;
    e.fd = ns;
    e.listener = listener;
    FormatAddress(reinterpret_cast<sockaddr*>(&peer), &e.address, &e.port);
    e.streamId = StreamIdOf(ns);

    bool registered = false;
    {
      std::lock_guard<std::mutex> lock(registry_mutex_);
      int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
      if (srt_epoll_add_usock(eid_, ns, &events) == 0) {
        kinds_[ns] = Kind::kConnected;
        CountSubscribed(Kind::kConnected);
        registered = true;
      }
    }
    if (!registered) {
      srt_clearlasterror();
      srt_close(ns);
      continue;
    }
    out->push_back(std::move(e));
    // libsrt raises no epoll event for a socket that broke before it was
    // subscribed, so check once now.
    if (srt_getsockstate(ns) >= SRTS_BROKEN) {
      MarkDead(ns);
      Event closed;
      closed.type = EventType::kClose;
      closed.fd = ns;
      closed.message = "connection broken";
      out->push_back(std::move(closed));
    }
  }
}

bool Reactor::ReadAll(SRTSOCKET fd, std::vector<Event>* out, int* error, std::string* text) {
  Event e;
  e.type = EventType::kData;
  e.fd = fd;
  bool alive = true;
  char* buf = recv_buffer_.data();
  const int size = static_cast<int>(recv_buffer_.size());
  for (int i = 0; i < kMaxMessagesPerWake; ++i) {
    int n = srt_recvmsg(fd, buf, size);
    if (n > 0) {
      if (e.data.empty()) e.data.reserve(16 * SRT_LIVE_MAX_PLSIZE);
      e.data.insert(e.data.end(), buf, buf + n);
      e.sizes.push_back(static_cast<uint32_t>(n));
      continue;
    }
    if (n == SRT_ERROR) {
      int sys_errno = 0;
      const int code = srt_getlasterror(&sys_errno);
      if (code != SRT_EASYNCRCV) {
        alive = false;
        *error = code;
        *text = srt_getlasterror_str();
      }
      srt_clearlasterror();
    }
    break;
  }
  if (!e.sizes.empty()) out->push_back(std::move(e));
  return alive;
}

void Reactor::Publish(std::vector<Event>&& events) {
  size_t bytes = 0;
  for (const auto& e : events) bytes += e.data.size() + kEventOverhead;
  bool schedule = false;
  {
    std::unique_lock<std::mutex> lock(pending_mutex_);
    drained_cv_.wait(lock, [this] { return stop_.load() || pending_bytes_ < kMaxPendingBytes; });
    if (stop_) return;
    if (pending_.empty()) {
      pending_ = std::move(events);
    } else {
      for (auto& e : events) pending_.push_back(std::move(e));
    }
    pending_bytes_ += bytes;
    if (!call_scheduled_) {
      call_scheduled_ = true;
      schedule = true;
    }
  }
  if (schedule && !wake_()) {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    call_scheduled_ = false;
  }
}

}  // namespace srtnative
