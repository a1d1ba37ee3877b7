// Socket option table and typed get/set (see socket_options.h).
#include "socket_options.h"

#include <sys/socket.h>

#include <cstring>

namespace srtnative {

namespace {

#define SRT_OPTION(name, type) {#name, name, OptionType::type}

const OptionInfo kOptions[] = {
    SRT_OPTION(SRTO_LATENCY, kInt),
    SRT_OPTION(SRTO_RCVLATENCY, kInt),
    SRT_OPTION(SRTO_PEERLATENCY, kInt),
    SRT_OPTION(SRTO_PASSPHRASE, kString),
    SRT_OPTION(SRTO_PBKEYLEN, kInt),
    SRT_OPTION(SRTO_ENFORCEDENCRYPTION, kBool),
    SRT_OPTION(SRTO_KMSTATE, kInt),
    SRT_OPTION(SRTO_SNDKMSTATE, kInt),
    SRT_OPTION(SRTO_RCVKMSTATE, kInt),
    SRT_OPTION(SRTO_MAXBW, kInt64),
    SRT_OPTION(SRTO_INPUTBW, kInt64),
    SRT_OPTION(SRTO_MININPUTBW, kInt64),
    SRT_OPTION(SRTO_OHEADBW, kInt),
    SRT_OPTION(SRTO_STREAMID, kString),
    SRT_OPTION(SRTO_TRANSTYPE, kTransType),
    SRT_OPTION(SRTO_PAYLOADSIZE, kInt),
    SRT_OPTION(SRTO_MESSAGEAPI, kBool),
    SRT_OPTION(SRTO_RCVSYN, kBool),
    SRT_OPTION(SRTO_SNDSYN, kBool),
    SRT_OPTION(SRTO_CONNTIMEO, kInt),
    SRT_OPTION(SRTO_PEERIDLETIMEO, kInt),
    SRT_OPTION(SRTO_TSBPDMODE, kBool),
    SRT_OPTION(SRTO_TLPKTDROP, kBool),
    SRT_OPTION(SRTO_SNDDROPDELAY, kInt),
    SRT_OPTION(SRTO_NAKREPORT, kBool),
    SRT_OPTION(SRTO_LOSSMAXTTL, kInt),
    SRT_OPTION(SRTO_MSS, kInt),
    SRT_OPTION(SRTO_FC, kInt),
    SRT_OPTION(SRTO_SNDBUF, kInt),
    SRT_OPTION(SRTO_RCVBUF, kInt),
    SRT_OPTION(SRTO_UDP_SNDBUF, kInt),
    SRT_OPTION(SRTO_UDP_RCVBUF, kInt),
    SRT_OPTION(SRTO_LINGER, kLinger),
    SRT_OPTION(SRTO_REUSEADDR, kBool),
    SRT_OPTION(SRTO_IPV6ONLY, kInt),
    SRT_OPTION(SRTO_IPTTL, kInt),
    SRT_OPTION(SRTO_IPTOS, kInt),
    SRT_OPTION(SRTO_CONGESTION, kString),
    SRT_OPTION(SRTO_PACKETFILTER, kString),
    SRT_OPTION(SRTO_RETRANSMITALGO, kInt),
    SRT_OPTION(SRTO_MINVERSION, kInt),
    SRT_OPTION(SRTO_VERSION, kInt),
    SRT_OPTION(SRTO_PEERVERSION, kInt),
    SRT_OPTION(SRTO_STATE, kInt),
    SRT_OPTION(SRTO_EVENT, kInt),
    SRT_OPTION(SRTO_SNDDATA, kInt),
    SRT_OPTION(SRTO_RCVDATA, kInt),
};

#undef SRT_OPTION

std::string LastError(const char* what) {
  std::string text = std::string(what) + ": " + srt_getlasterror_str();
  srt_clearlasterror();
  return text;
}

}  // namespace

const OptionInfo* FindOption(const std::string& name) {
  for (const auto& info : kOptions) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

std::string OptionNames() {
  std::string names;
  for (const auto& info : kOptions) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

bool SetOption(SRTSOCKET fd, const OptionInfo& info, const OptionValue& value, std::string* error) {
  int rc = SRT_ERROR;
  switch (info.type) {
    case OptionType::kInt:
    case OptionType::kTransType: {
      int v = static_cast<int>(value.number);
      rc = srt_setsockflag(fd, info.id, &v, sizeof(v));
      break;
    }
    case OptionType::kInt64: {
      int64_t v = value.number;
      rc = srt_setsockflag(fd, info.id, &v, sizeof(v));
      break;
    }
    case OptionType::kBool: {
      bool v = value.flag;
      rc = srt_setsockflag(fd, info.id, &v, sizeof(v));
      break;
    }
    case OptionType::kString:
      rc = srt_setsockflag(fd, info.id, value.text.data(), static_cast<int>(value.text.size()));
      break;
    case OptionType::kLinger: {
      linger v{};
      v.l_onoff = value.number > 0 ? 1 : 0;
      v.l_linger = static_cast<int>(value.number > 0 ? value.number : 0);
      rc = srt_setsockflag(fd, info.id, &v, sizeof(v));
      break;
    }
  }
  if (rc != 0) {
    *error = LastError((std::string("srt_setsockflag(") + info.name + ")").c_str());
    return false;
  }
  return true;
}

bool GetOption(SRTSOCKET fd, const OptionInfo& info, OptionValue* value, std::string* error) {
  // Zeroed and larger than any scalar: libsrt writes a bool as 1 or 4 bytes
  // depending on the option, both read correctly from a zeroed buffer.
  union {
    int64_t i64;
    int i32;
    bool b;
    linger l;
    char text[1024];
  } buf;
  std::memset(&buf, 0, sizeof(buf));
  int len = sizeof(buf);
  if (info.type != OptionType::kString) {
    len = info.type == OptionType::kInt64 ? static_cast<int>(sizeof(int64_t))
          : info.type == OptionType::kLinger ? static_cast<int>(sizeof(linger))
                                              : static_cast<int>(sizeof(int));
  }
  if (srt_getsockflag(fd, info.id, &buf, &len) != 0) {
    *error = LastError((std::string("srt_getsockflag(") + info.name + ")").c_str());
    return false;
  }
  switch (info.type) {
    case OptionType::kInt:
    case OptionType::kTransType:
      value->number = len >= static_cast<int>(sizeof(int)) ? buf.i32 : buf.text[0];
      break;
    case OptionType::kInt64:
      value->number = len >= static_cast<int>(sizeof(int64_t)) ? buf.i64 : buf.i32;
      break;
    case OptionType::kBool:
      value->flag = buf.text[0] != 0 || buf.i32 != 0;
      break;
    case OptionType::kString:
      value->text.assign(buf.text, static_cast<size_t>(len > 0 ? len : 0));
      break;
    case OptionType::kLinger:
      value->number = buf.l.l_onoff ? buf.l.l_linger : 0;
      break;
  }
  return true;
}

}  // namespace srtnative
