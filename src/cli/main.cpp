#include <iostream>
int main() { std::cerr << "signet: not built yet\n"; return 1; }
