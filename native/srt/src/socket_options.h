// The socket options the addon exposes, by libsrt name ("SRTO_LATENCY"), with
// the C type libsrt expects for each (SRT API-socket-options.md).
#pragma once

#include <cstdint>
#include <string>

#include "srt_headers.h"

namespace srtnative {

enum class OptionType { kInt, kInt64, kBool, kString, kLinger, kTransType };

struct OptionInfo {
  const char* name;
  SRT_SOCKOPT id;
  OptionType type;
};

// One option value; which field is meaningful depends on the OptionType.
struct OptionValue {
  int64_t number = 0;  // kInt, kInt64, kLinger (seconds, 0 = off), kTransType (SRT_TRANSTYPE)
  bool flag = false;   // kBool
  std::string text;    // kString
};

// nullptr when the name is not one of ours.
const OptionInfo* FindOption(const std::string& name);

// Comma-separated list of the names, for error messages.
std::string OptionNames();

bool SetOption(SRTSOCKET fd, const OptionInfo& info, const OptionValue& value, std::string* error);
bool GetOption(SRTSOCKET fd, const OptionInfo& info, OptionValue* value, std::string* error);

}  // namespace srtnative
