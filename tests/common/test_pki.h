// Certificates for tests, made with openssl in a directory the test owns: a
// CA and leaf certificates it signs, valid for 127.0.0.1 and localhost for
// one day.
//
//   TestPki pki(dir);
//   ASSERT_TRUE(pki.MakeCa("ca"));
//   ASSERT_TRUE(pki.MakeLeaf("server", "ca"));
//   options.cert_file = pki.Path("server.pem");  // And server.key, ca.pem.
#ifndef TESTS_COMMON_TEST_PKI_H_
#define TESTS_COMMON_TEST_PKI_H_

#include <string>

namespace coachd {

// Not thread-safe (it runs openssl processes). Removes nothing: the test
// owns `dir`.
class TestPki {
 public:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {}

  // Makes CA `ca`: `ca`.pem (certificate) and `ca`.key (P-256 key). False
  // when openssl failed.
  bool MakeCa(const std::string& ca);

  // Makes `name`.pem and `name`.key signed by CA `ca` (made before), with
  // subjectAltName IP:127.0.0.1 and DNS:localhost. False when openssl
  // failed.
  bool MakeLeaf(const std::string& name, const std::string& ca);

  // The path of `file` in the directory.
  std::string Path(const std::string& file) const;

 private:
  std::string dir_;
};

}  // namespace coachd

#endif  // TESTS_COMMON_TEST_PKI_H_
