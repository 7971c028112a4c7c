// The Method contract: one directive. A method validates its attributes when it is created from
// the configuration (so a bad value is a configuration error with a line number) and applies
// itself to one file with a signing context.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "crypto/signer.hpp"
#include "formats/format.hpp"
#include "io/file.hpp"
#include "io/source.hpp"

namespace signet::crypto::openpgp {
class SecretKey;
}

namespace signet::methods {

enum class Category {
  embedded,   // the file is replaced by its signed version
  detached,   // a new file (the signature) is added beside the file
  enveloped,  // a new file (original + signature) is added beside the file
  verify,     // checks existing signatures, changes nothing
};

struct Context {
  crypto::SignerPtr x509;                                 // may be null
  std::shared_ptr<const crypto::openpgp::SecretKey> pgp;  // may be null
  std::vector<std::string> timestamp_urls;                // RFC 3161 TSAs, tried in order
  std::vector<crypto::CertDer> trust_anchors;             // --trust, for verify directives
  io::TempDir* temp =
      nullptr;  // for outputs too large for memory (signed PE, MSI, ...); never null in the engine
};

struct Input {
  io::SourcePtr bytes;
  const formats::OpenedFile* opened = nullptr;  // the file opened by its format
  std::string file_name;                        // base name, for ${file.name}
  std::string path;                             // full path inside the artifact, for messages
};

struct Output {
  io::SourcePtr bytes;      // embedded: the signed file; detached/enveloped: the new file
  std::string file_name;    // detached/enveloped: the new file's name (output-file-name resolved)
  std::string description;  // for the report, e.g. "CMS signature sha256/pkcs1, PEM"
};

enum class KeyNeed { none, x509, openpgp };

class Method {
 public:
  virtual ~Method() = default;
  virtual std::string_view directive() const = 0;
  virtual Category category() const = 0;
  virtual KeyNeed key_need() const = 0;
  // Resolve the added file's name (detached/enveloped) before signing, so the plan can list it.
  virtual std::string output_file_name(std::string_view /*file_name*/) const { return {}; }
  virtual Output apply(const Input& in, const Context& ctx) const = 0;
};

// The registry. Creating a method validates the directive's attributes and throws io::Error with
// the attribute's location; a directive of the language that is not implemented yet throws
// "<name> is not supported yet".
std::unique_ptr<Method> create_method(const config::Directive& directive);

}  // namespace signet::methods
