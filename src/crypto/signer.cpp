// The Signer contract is an interface; backends live in their own files.
#include "crypto/signer.hpp"
