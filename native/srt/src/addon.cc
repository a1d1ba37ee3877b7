// srt_native: a thin Node-API binding of libsrt (Haivision SRT, API-functions.md).
// JavaScript calls map one to one onto libsrt calls; accept and receive run on
// the reactor thread (reactor.h) and reach JavaScript in batches through one
// thread-safe function. Nothing here blocks the main thread.
#include <napi.h>
#include <syslog.h>

#include <cctype>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "net_address.h"
#include "reactor.h"
#include "socket_options.h"
#include "srt_headers.h"

namespace srtnative {

namespace {

// The listen callback runs on libsrt's receiver thread when a caller's
// handshake reaches its conclusion, just before libsrt queues the new socket
// for accept. It is installed on every listener, with the listener's
// ListenContext as opaque (freed only after srt_close of the listener, which
// removes it from the receiver queue before it returns; the reactor outlives
// every listener: Stop() closes them). It wakes the reactor, which sleeps while
// only listeners are subscribed, optionally checks the syntax of "#!::" stream
// ids (SRT AccessControl.md): a comma-separated list of key=value with
// non-empty keys, and sizes a player's buffers (ListenHook). Anything that
// needs application state is decided in JavaScript after accept.
int CheckStreamIdSyntax(SRTSOCKET ns, const char* streamid) {
  if (streamid == nullptr) return 0;
  const std::string sid(streamid);
  static const std::string kPrefix = "#!::";
  if (sid.compare(0, kPrefix.size(), kPrefix) != 0) return 0;
  size_t pos = kPrefix.size();
  bool ok = pos < sid.size();
  while (ok && pos <= sid.size()) {
    size_t end = sid.find(',', pos);
    if (end == std::string::npos) end = sid.size();
    const size_t eq = sid.find('=', pos);
    ok = eq != std::string::npos && eq > pos && eq < end;
    pos = end + 1;
  }
  if (ok) return 0;
  srt_setrejectreason(ns, SRT_REJX_BAD_REQUEST);
  return -1;
}

// What a listener's callback needs. Owned by the addon (listen_contexts_),
// freed after srt_close of the listener, when no callback can run any more.
struct ListenContext {
  Reactor* reactor = nullptr;
  bool check_stream_id = false;
  // Set on accepted sockets whose caller only plays (see ListenHook).
  std::vector<std::pair<const OptionInfo*, OptionValue>> player_options;
};

// True when the stream id may ask to publish: it contains "publish" in any
// case. Deliberately loose, a superset of what the server treats as a publish
// (m=publish), so a publisher never gets a player's small receive buffers; a
// player whose stream id merely mentions "publish" keeps the listener's sizes.
bool MayPublish(const char* streamid) {
  if (streamid == nullptr) return false;
  static const char kWord[] = "publish";
  const size_t n = sizeof(kWord) - 1;
  for (const char* p = streamid; *p != '\0'; ++p) {
    size_t i = 0;
    while (i < n && p[i] != '\0' && std::tolower(static_cast<unsigned char>(p[i])) == kWord[i]) ++i;
    if (i == n) return true;
  }
  return false;
}

// Runs before libsrt sizes the new socket's buffers (the socket is not bound
// yet), so pre-bind options such as SRTO_FC and SRTO_RCVBUF still apply. A
// failed set leaves the value inherited from the listener.
int ListenHook(void* opaque, SRTSOCKET ns, int /*hs_version*/, const sockaddr* /*peer*/, const char* streamid) {
  auto* context = static_cast<ListenContext*>(opaque);
  context->reactor->HandshakeComing();
  if (context->check_stream_id && CheckStreamIdSyntax(ns, streamid) != 0) return -1;
  if (!context->player_options.empty() && !MayPublish(streamid)) {
    std::string ignored;
    for (const auto& option : context->player_options) SetOption(ns, *option.first, option.second, &ignored);
  }
  return 0;
}

struct LastError {
  int code = 0;
  std::string message;
};

}  // namespace

class SrtAddon : public Napi::Addon<SrtAddon> {
 public:
  SrtAddon(Napi::Env env, Napi::Object exports) {
    srt_setloglevel(LOG_CRIT);  // libsrt logs to stderr; keep it quiet by default
    DefineAddon(exports, {
        InstanceMethod("setEventHandler", &SrtAddon::SetEventHandler),
        InstanceMethod("socket", &SrtAddon::Socket),
        InstanceMethod("bind", &SrtAddon::Bind),
        InstanceMethod("listen", &SrtAddon::Listen),
        InstanceMethod("connect", &SrtAddon::Connect),
        InstanceMethod("send", &SrtAddon::Send),
        InstanceMethod("close", &SrtAddon::Close),
        InstanceMethod("setsockopt", &SrtAddon::SetSockOpt),
        InstanceMethod("getsockopt", &SrtAddon::GetSockOpt),
        InstanceMethod("getsockname", &SrtAddon::GetSockName),
        InstanceMethod("getpeername", &SrtAddon::GetPeerName),
        InstanceMethod("getsockstate", &SrtAddon::GetSockState),
        InstanceMethod("stats", &SrtAddon::Stats),
        InstanceMethod("lastError", &SrtAddon::GetLastError),
        InstanceMethod("setLogLevel", &SrtAddon::SetLogLevel),
        InstanceMethod("openSockets", &SrtAddon::OpenSockets),
        InstanceMethod("shutdown", &SrtAddon::Shutdown),
        InstanceValue("version", Napi::String::New(env, SRT_VERSION_STRING)),
        InstanceValue("constants", Constants(env)),
    });
  }

  ~SrtAddon() {
    // Normally already stopped by Shutdown() or the cleanup hook.
    reactor_.Stop();
  }

 private:
  static void CallJs(Napi::Env env, Napi::Function unused, SrtAddon* self, void* data);
  using EventTsfn = Napi::TypedThreadSafeFunction<SrtAddon, void, &SrtAddon::CallJs>;

  static Napi::Object Constants(Napi::Env env) {
    Napi::Object c = Napi::Object::New(env);
    c.Set("SRT_EASYNCSND", static_cast<int>(SRT_EASYNCSND));
    c.Set("SRT_EASYNCRCV", static_cast<int>(SRT_EASYNCRCV));
    c.Set("SRT_ECONNLOST", static_cast<int>(SRT_ECONNLOST));
    c.Set("SRT_ENOCONN", static_cast<int>(SRT_ENOCONN));
    c.Set("SRT_EINVSOCK", static_cast<int>(SRT_EINVSOCK));
    c.Set("SRT_ELARGEMSG", static_cast<int>(SRT_ELARGEMSG));
    c.Set("SRT_ECONNREJ", static_cast<int>(SRT_ECONNREJ));
    c.Set("SRT_REJ_PEER", static_cast<int>(SRT_REJ_PEER));
    c.Set("SRT_REJ_BADSECRET", static_cast<int>(SRT_REJ_BADSECRET));
    c.Set("SRT_REJ_UNSECURE", static_cast<int>(SRT_REJ_UNSECURE));
    c.Set("SRT_REJ_TIMEOUT", static_cast<int>(SRT_REJ_TIMEOUT));
    c.Set("SRT_REJ_CLOSE", static_cast<int>(SRT_REJ_CLOSE));
    c.Set("SRT_REJC_PREDEFINED", SRT_REJC_PREDEFINED);
    c.Set("SRT_REJX_BAD_REQUEST", SRT_REJX_BAD_REQUEST);
    c.Set("SRT_REJX_UNAUTHORIZED", SRT_REJX_UNAUTHORIZED);
    c.Set("SRT_REJX_FORBIDDEN", SRT_REJX_FORBIDDEN);
    c.Set("SRT_REJX_NOTFOUND", SRT_REJX_NOTFOUND);
    c.Set("SRT_REJX_CONFLICT", SRT_REJX_CONFLICT);
    c.Set("SRT_LIVE_DEF_PLSIZE", SRT_LIVE_DEF_PLSIZE);
    c.Set("SRT_LIVE_MAX_PLSIZE", SRT_LIVE_MAX_PLSIZE);
    c.Set("SRTT_LIVE", static_cast<int>(SRTT_LIVE));
    c.Set("SRTT_FILE", static_cast<int>(SRTT_FILE));
    return c;
  }

  // ---- helpers -----------------------------------------------------------

  [[noreturn]] void ThrowSrt(Napi::Env env, const std::string& what) {
    int sys_errno = 0;
    const int code = srt_getlasterror(&sys_errno);
    Napi::Error error = Napi::Error::New(env, what + ": " + srt_getlasterror_str());
    error.Set("srtCode", Napi::Number::New(env, code));
    srt_clearlasterror();
    throw error;
  }

  [[noreturn]] static void ThrowType(Napi::Env env, const std::string& message) {
    throw Napi::TypeError::New(env, message);
  }

  static SRTSOCKET FdArg(const Napi::CallbackInfo& info, size_t index = 0) {
    if (info.Length() <= index || !info[index].IsNumber()) ThrowType(info.Env(), "fd must be a number");
    return static_cast<SRTSOCKET>(info[index].As<Napi::Number>().Int32Value());
  }

  static std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
    if (info.Length() <= index || !info[index].IsString()) {
      ThrowType(info.Env(), std::string(name) + " must be a string");
    }
    return info[index].As<Napi::String>().Utf8Value();
  }

  static int IntArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
    if (info.Length() <= index || !info[index].IsNumber()) {
      ThrowType(info.Env(), std::string(name) + " must be a number");
    }
    return info[index].As<Napi::Number>().Int32Value();
  }

  // Only sockets created through this addon may be used, so a stray number
  // from JavaScript cannot touch another addon instance's sockets.
  SRTSOCKET OwnFd(const Napi::CallbackInfo& info, size_t index = 0) {
    SRTSOCKET fd = FdArg(info, index);
    if (open_.count(fd) == 0) {
      Napi::Error error = Napi::Error::New(info.Env(), "not an open SRT socket: " + std::to_string(fd));
      error.Set("srtCode", Napi::Number::New(info.Env(), static_cast<int>(SRT_EINVSOCK)));
      throw error;
    }
    return fd;
  }

  static Napi::Object AddressObject(Napi::Env env, const sockaddr* addr) {
    std::string host;
    int port = 0;
    Napi::Object out = Napi::Object::New(env);
    if (FormatAddress(addr, &host, &port)) {
      out.Set("address", host);
      out.Set("port", port);
      out.Set("family", addr->sa_family == AF_INET6 ? "IPv6" : "IPv4");
    }
    return out;
  }

  void EnsureStarted(Napi::Env env) {
    if (reactor_.running()) return;
    if (handler_.IsEmpty()) {
      throw Napi::Error::New(env, "srt_native: setEventHandler() must be called before creating sockets");
    }
    std::string error;
    // The TSFN carries no data: the reactor keeps one pending batch and CallJs
    // takes whatever has accumulated, so a busy JS thread gets bigger batches.
    tsfn_ = EventTsfn::New(env, "srt_native.events", 0, 1, this);
    tsfn_.Unref(env);
    referenced_ = false;
    EventTsfn* tsfn = &tsfn_;
    if (!reactor_.Start([tsfn]() { return tsfn->NonBlockingCall() == napi_ok; }, &error)) {
      tsfn_.Abort();
      throw Napi::Error::New(env, error);
    }
    // Registered after the TSFN so it runs before the TSFN's own cleanup at
    // environment teardown (hooks run in reverse order).
    napi_add_env_cleanup_hook(env, &SrtAddon::CleanupHook, this);
  }

  // The event loop is kept alive exactly while JavaScript holds an open socket.
  void UpdateRef(Napi::Env env) {
    if (!reactor_.running()) return;
    const bool want = !open_.empty();
    if (want == referenced_) return;
    if (want) {
      tsfn_.Ref(env);
    } else {
      tsfn_.Unref(env);
    }
    referenced_ = want;
  }

  void StopAll() {
    if (!reactor_.running()) return;
    reactor_.Stop();  // joins the thread, closes every socket, srt_cleanup
    tsfn_.Abort();    // queued calls are dropped (CallJs sees a null env)
    open_.clear();
    listen_contexts_.clear();  // every listener is closed
    referenced_ = false;
  }

  static void CleanupHook(void* arg) {
    static_cast<SrtAddon*>(arg)->StopAll();
  }

  // ---- JavaScript methods --------------------------------------------------

  Napi::Value SetEventHandler(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowType(info.Env(), "handler must be a function");
    handler_ = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }

  // srt_create_socket, live mode, non-blocking both ways.
  Napi::Value Socket(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureStarted(env);
    SRTSOCKET fd = srt_create_socket();
    if (fd == SRT_INVALID_SOCK) ThrowSrt(env, "srt_create_socket");
    const SRT_TRANSTYPE live = SRTT_LIVE;
    const bool no = false;
    if (srt_setsockflag(fd, SRTO_TRANSTYPE, &live, sizeof(live)) != 0 ||
        srt_setsockflag(fd, SRTO_RCVSYN, &no, sizeof(no)) != 0 ||
        srt_setsockflag(fd, SRTO_SNDSYN, &no, sizeof(no)) != 0) {
      srt_close(fd);
      ThrowSrt(env, "srt_setsockflag");
    }
    reactor_.Track(fd);
    open_.insert(fd);
    UpdateRef(env);
    return Napi::Number::New(env, fd);
  }

  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    const std::string host = StringArg(info, 1, "host");
    const int port = IntArg(info, 2, "port");
    NetAddress addr;
    if (!ParseAddress(host, port, &addr)) ThrowType(env, "bind: host must be a numeric IPv4/IPv6 address and port 0..65535");
    if (srt_bind(fd, addr.get(), addr.length) != 0) ThrowSrt(env, "srt_bind " + host + ":" + std::to_string(port));
    return env.Undefined();
  }

  // listen(fd, backlog, checkStreamIdSyntax, playerOptions?): playerOptions is
  // an array of [name, number] set in the listen callback on sockets whose
  // stream id does not mention "publish" (ListenHook).
  Napi::Value Listen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    const int backlog = IntArg(info, 1, "backlog");
    if (listen_contexts_.count(fd) != 0) throw Napi::Error::New(env, "listen: socket is already listening");
    auto context = std::make_unique<ListenContext>();
    context->reactor = &reactor_;
    context->check_stream_id = info.Length() > 2 && info[2].ToBoolean().Value();
    if (info.Length() > 3 && !info[3].IsUndefined()) {
      if (!info[3].IsArray()) ThrowType(env, "playerOptions must be an array of [name, number]");
      Napi::Array list = info[3].As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); ++i) {
        Napi::Value item = list.Get(i);
        if (!item.IsArray() || item.As<Napi::Array>().Length() != 2) ThrowType(env, "playerOptions must be an array of [name, number]");
        Napi::Array pair = item.As<Napi::Array>();
        if (!pair.Get(0u).IsString() || !pair.Get(1u).IsNumber()) ThrowType(env, "playerOptions must be an array of [name, number]");
        const std::string name = pair.Get(0u).As<Napi::String>().Utf8Value();
        const OptionInfo* opt = FindOption(name);
        if (opt == nullptr || (opt->type != OptionType::kInt && opt->type != OptionType::kInt64)) {
          ThrowType(env, "playerOptions: " + name + " is not a numeric SRT option");
        }
        OptionValue value;
        value.number = pair.Get(1u).As<Napi::Number>().Int64Value();
        context->player_options.emplace_back(opt, value);
      }
    }
    // Always installed: it wakes the reactor (see ListenHook).
    if (srt_listen_callback(fd, &ListenHook, context.get()) != 0) ThrowSrt(env, "srt_listen_callback");
    // Kept until the listener is closed: the callback may run as soon as srt_listen succeeds.
    listen_contexts_[fd] = std::move(context);
    if (srt_listen(fd, backlog) != 0) ThrowSrt(env, "srt_listen");
    std::string error;
    if (!reactor_.Watch(fd, true, &error)) throw Napi::Error::New(env, "listen: " + error);
    return env.Undefined();
  }

  // Non-blocking connect; the result arrives as a 'connected' or 'error' event.
  Napi::Value Connect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    const std::string host = StringArg(info, 1, "host");
    const int port = IntArg(info, 2, "port");
    NetAddress addr;
    if (!ParseAddress(host, port, &addr)) ThrowType(env, "connect: host must be a numeric IPv4/IPv6 address and port 1..65535");
    std::string error;
    if (!reactor_.Watch(fd, false, &error)) throw Napi::Error::New(env, "connect: " + error);
    if (srt_connect(fd, addr.get(), addr.length) == SRT_ERROR) {
      reactor_.Unwatch(fd);
      ThrowSrt(env, "srt_connect " + host + ":" + std::to_string(port));
    }
    return env.Undefined();
  }

  // send(fd, buffer, chunkSize = 0): srt_sendmsg2 once per chunk (0: the whole
  // buffer is one message). Returns the bytes accepted, or -1 when the first
  // message failed; lastError() tells why (SRT_EASYNCSND: send buffer full).
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    if (info.Length() < 2 || !info[1].IsTypedArray()) ThrowType(env, "data must be a Buffer or Uint8Array");
    Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
    size_t chunk = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : 0;
    const size_t total = data.ByteLength();
    if (chunk == 0 || chunk > total) chunk = total;
    const char* bytes = reinterpret_cast<const char*>(data.Data());
    size_t offset = 0;
    while (offset < total) {
      const size_t n = total - offset < chunk ? total - offset : chunk;
      if (srt_sendmsg2(fd, bytes + offset, static_cast<int>(n), nullptr) == SRT_ERROR) {
        int sys_errno = 0;
        last_error_.code = srt_getlasterror(&sys_errno);
        last_error_.message = srt_getlasterror_str();
        srt_clearlasterror();
        return Napi::Number::New(env, offset == 0 ? -1.0 : static_cast<double>(offset));
      }
      offset += n;
    }
    return Napi::Number::New(env, static_cast<double>(offset));
  }

  // close(fd, rejectReason?). The reason only reaches a peer whose handshake
  // is still in progress (libsrt sends it in the rejection); after accept the
  // peer just sees the connection closed.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = FdArg(info);
    if (open_.erase(fd) == 0) return Napi::Boolean::New(env, false);
    if (info.Length() > 1 && info[1].IsNumber()) {
      srt_setrejectreason(fd, info[1].As<Napi::Number>().Int32Value());
    }
    reactor_.Forget(fd);
    srt_close(fd);
    srt_clearlasterror();
    listen_contexts_.erase(fd);  // srt_close has removed the listener: no callback runs any more
    UpdateRef(env);
    return Napi::Boolean::New(env, true);
  }

  Napi::Value SetSockOpt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    const std::string name = StringArg(info, 1, "option");
    const OptionInfo* opt = FindOption(name);
    if (opt == nullptr) ThrowType(env, "unknown SRT option " + name + "; known: " + OptionNames());
    if (info.Length() < 3) ThrowType(env, "setsockopt: value missing");
    Napi::Value v = info[2];
    OptionValue value;
    switch (opt->type) {
      case OptionType::kBool:
        if (!v.IsBoolean()) ThrowType(env, name + " takes a boolean");
        value.flag = v.As<Napi::Boolean>().Value();
        break;
      case OptionType::kString:
        if (!v.IsString()) ThrowType(env, name + " takes a string");
        value.text = v.As<Napi::String>().Utf8Value();
        break;
      case OptionType::kTransType:
        if (v.IsString()) {
          const std::string t = v.As<Napi::String>().Utf8Value();
          if (t != "live" && t != "file") ThrowType(env, name + " takes 'live' or 'file'");
          value.number = t == "live" ? SRTT_LIVE : SRTT_FILE;
          break;
        }
        [[fallthrough]];
      default:
        if (!v.IsNumber()) ThrowType(env, name + " takes a number");
        value.number = v.As<Napi::Number>().Int64Value();
        break;
    }
    std::string error;
    if (!SetOption(fd, *opt, value, &error)) {
      throw Napi::Error::New(env, error);
    }
    return env.Undefined();
  }

  Napi::Value GetSockOpt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    const std::string name = StringArg(info, 1, "option");
    const OptionInfo* opt = FindOption(name);
    if (opt == nullptr) ThrowType(env, "unknown SRT option " + name + "; known: " + OptionNames());
    OptionValue value;
    std::string error;
    if (!GetOption(fd, *opt, &value, &error)) throw Napi::Error::New(env, error);
    switch (opt->type) {
      case OptionType::kBool:
        return Napi::Boolean::New(env, value.flag);
      case OptionType::kString:
        return Napi::String::New(env, value.text);
      case OptionType::kTransType:
        return Napi::String::New(env, value.number == SRTT_FILE ? "file" : "live");
      default:
        return Napi::Number::New(env, static_cast<double>(value.number));
    }
  }

  Napi::Value GetSockName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    sockaddr_storage ss{};
    int len = sizeof(ss);
    if (srt_getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) ThrowSrt(env, "srt_getsockname");
    return AddressObject(env, reinterpret_cast<sockaddr*>(&ss));
  }

  Napi::Value GetPeerName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    sockaddr_storage ss{};
    int len = sizeof(ss);
    if (srt_getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) ThrowSrt(env, "srt_getpeername");
    return AddressObject(env, reinterpret_cast<sockaddr*>(&ss));
  }

  Napi::Value GetSockState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    static const char* const kNames[] = {"unknown",   "init",   "opened",  "listening", "connecting",
                                         "connected", "broken", "closing", "closed",    "nonexist"};
    const int state = static_cast<int>(srt_getsockstate(FdArg(info)));
    const int n = static_cast<int>(sizeof(kNames) / sizeof(kNames[0]));
    return Napi::String::New(env, kNames[state >= 0 && state < n ? state : 0]);
  }

  // srt_bstats(fd, clear): the counters of SRT statistics.md that matter for
  // a live stream. Interval counters (pktSent, ...) reset when clear is true.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SRTSOCKET fd = OwnFd(info);
    const bool clear = info.Length() > 1 && info[1].ToBoolean().Value();
    SRT_TRACEBSTATS s;
    if (srt_bstats(fd, &s, clear ? 1 : 0) != 0) ThrowSrt(env, "srt_bstats");
    Napi::Object o = Napi::Object::New(env);
    auto num = [&](const char* key, double v) { o.Set(key, Napi::Number::New(env, v)); };
    num("msTimeStamp", static_cast<double>(s.msTimeStamp));
    num("pktSent", static_cast<double>(s.pktSent));
    num("pktRecv", static_cast<double>(s.pktRecv));
    num("pktSndLoss", s.pktSndLoss);
    num("pktRcvLoss", s.pktRcvLoss);
    num("pktRetrans", s.pktRetrans);
    num("pktRcvRetrans", s.pktRcvRetrans);
    num("pktSndDrop", s.pktSndDrop);
    num("pktRcvDrop", s.pktRcvDrop);
    num("pktRcvUndecrypt", s.pktRcvUndecrypt);
    num("byteSent", static_cast<double>(s.byteSent));
    num("byteRecv", static_cast<double>(s.byteRecv));
    num("byteRetrans", static_cast<double>(s.byteRetrans));
    num("byteSndDrop", static_cast<double>(s.byteSndDrop));
    num("byteRcvDrop", static_cast<double>(s.byteRcvDrop));
    num("pktSentTotal", static_cast<double>(s.pktSentTotal));
    num("pktRecvTotal", static_cast<double>(s.pktRecvTotal));
    num("pktSndLossTotal", s.pktSndLossTotal);
    num("pktRcvLossTotal", s.pktRcvLossTotal);
    num("pktRetransTotal", s.pktRetransTotal);
    num("pktSndDropTotal", s.pktSndDropTotal);
    num("pktRcvDropTotal", s.pktRcvDropTotal);
    num("byteSentTotal", static_cast<double>(s.byteSentTotal));
    num("byteRecvTotal", static_cast<double>(s.byteRecvTotal));
    num("msRTT", s.msRTT);
    num("mbpsSendRate", s.mbpsSendRate);
    num("mbpsRecvRate", s.mbpsRecvRate);
    num("mbpsBandwidth", s.mbpsBandwidth);
    num("mbpsMaxBW", s.mbpsMaxBW);
    num("pktFlowWindow", s.pktFlowWindow);
    num("pktCongestionWindow", s.pktCongestionWindow);
    num("pktFlightSize", s.pktFlightSize);
    num("byteAvailSndBuf", s.byteAvailSndBuf);
    num("byteAvailRcvBuf", s.byteAvailRcvBuf);
    num("pktSndBuf", s.pktSndBuf);
    num("pktRcvBuf", s.pktRcvBuf);
    num("msSndBuf", s.msSndBuf);
    num("msRcvBuf", s.msRcvBuf);
    num("msSndTsbPdDelay", s.msSndTsbPdDelay);
    num("msRcvTsbPdDelay", s.msRcvTsbPdDelay);
    return o;
  }

  Napi::Value GetLastError(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("code", last_error_.code);
    o.Set("message", last_error_.message);
    return o;
  }

  // syslog levels: 2 (LOG_CRIT, default) .. 7 (LOG_DEBUG). Process-wide in libsrt.
  Napi::Value SetLogLevel(const Napi::CallbackInfo& info) {
    srt_setloglevel(IntArg(info, 0, "level"));
    return info.Env().Undefined();
  }

  Napi::Value OpenSockets(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(open_.size()));
  }

  // Stops the reactor thread, releases the TSFN, closes every socket and
  // calls srt_cleanup. The addon starts again on the next socket().
  Napi::Value Shutdown(const Napi::CallbackInfo& info) {
    if (reactor_.running()) {
      napi_remove_env_cleanup_hook(info.Env(), &SrtAddon::CleanupHook, this);
      StopAll();
    }
    return info.Env().Undefined();
  }

  // ---- reactor -> JavaScript -------------------------------------------------

  void Deliver(Napi::Env env) {
    std::vector<Event> events = reactor_.TakePending();
    if (events.empty() || handler_.IsEmpty()) return;
    Napi::HandleScope scope(env);
    Napi::Array batch = Napi::Array::New(env, events.size());
    uint32_t index = 0;
    for (Event& e : events) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("fd", Napi::Number::New(env, e.fd));
      switch (e.type) {
        case EventType::kAccept:
          o.Set("type", "accept");
          o.Set("listener", Napi::Number::New(env, e.listener));
          o.Set("address", e.address);
          o.Set("port", e.port);
          o.Set("streamId", e.streamId);
          // JavaScript owns it from here; if nobody claims it, JS closes it.
          open_.insert(e.fd);
          break;
        case EventType::kConnected:
          o.Set("type", "connected");
          o.Set("address", e.address);
          o.Set("port", e.port);
          o.Set("streamId", e.streamId);
          break;
        case EventType::kData: {
          o.Set("type", "data");
          o.Set("data", Napi::Buffer<uint8_t>::Copy(env, e.data.data(), e.data.size()));
          Napi::Uint32Array sizes = Napi::Uint32Array::New(env, e.sizes.size());
          for (size_t i = 0; i < e.sizes.size(); ++i) sizes[i] = e.sizes[i];
          o.Set("sizes", sizes);
          break;
        }
        case EventType::kClose:
          o.Set("type", "close");
          o.Set("code", e.code);
          o.Set("message", e.message);
          break;
        case EventType::kError:
          o.Set("type", "error");
          o.Set("code", e.code);
          o.Set("message", e.message);
          break;
      }
      batch.Set(index++, o);
    }
    events.clear();
    UpdateRef(env);
    try {
      handler_.Call({batch});
    } catch (const Napi::Error& error) {
      // Let Node report it as an uncaught exception, as for any event handler.
      error.ThrowAsJavaScriptException();
    }
  }

  Reactor reactor_;
  EventTsfn tsfn_;
  bool referenced_ = false;
  Napi::FunctionReference handler_;
  std::unordered_set<SRTSOCKET> open_;  // sockets JavaScript holds (main thread only)
  // Listen callback data per listener (main thread only; see ListenContext).
  std::unordered_map<SRTSOCKET, std::unique_ptr<ListenContext>> listen_contexts_;
  LastError last_error_;
};

void SrtAddon::CallJs(Napi::Env env, Napi::Function /*unused*/, SrtAddon* self, void* /*data*/) {
  if (env == nullptr || self == nullptr) return;  // TSFN aborted: nothing to free
  self->Deliver(env);
}

}  // namespace srtnative

using SrtAddon = srtnative::SrtAddon;
NODE_API_ADDON(SrtAddon)
