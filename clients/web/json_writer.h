// A small builder of JSON text for the pages' messages: objects, arrays,
// strings (escaped), numbers and booleans, written in order. Pure and cheap;
// the gateway builds one message per event and sends the same text to every
// browser that shows it.
//
//   JsonWriter w;
//   w.BeginObject();
//   w.Key("title"); w.String("Bird dog");
//   w.Key("set");   w.Int(2);
//   w.EndObject();
//   std::string text = w.Take();   // {"title":"Bird dog","set":2}
#ifndef CLIENTS_WEB_JSON_WRITER_H_
#define CLIENTS_WEB_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace coachd {

// Not thread-safe. Keys and values must alternate inside objects; the
// caller closes what it opens (asserted in Take()).
class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // The next member's name (inside an object).
  void Key(absl::string_view key);
  // Values.
  void String(absl::string_view value);
  void Int(int64_t value);
  void Double(double value);
  void Bool(bool value);
  void Null();

  // Shorthands for a member: Key(key) then the value.
  void Member(absl::string_view key, absl::string_view value) {
    Key(key);
    String(value);
  }
  void Member(absl::string_view key, const char* value) {
    Key(key);
    String(value);
  }
  void Member(absl::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }
  void Member(absl::string_view key, int value) {
    Key(key);
    Int(value);
  }
  void Member(absl::string_view key, bool value) {
    Key(key);
    Bool(value);
  }

  // The text written; every object and array must be closed.
  std::string Take();

 private:
  void BeforeValue();
  std::string out_;
  // One entry per open container: whether something was written in it.
  std::vector<bool> has_items_;
  bool after_key_ = false;
};

}  // namespace coachd

#endif  // CLIENTS_WEB_JSON_WRITER_H_
