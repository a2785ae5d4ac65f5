// SwiftPM needs a source file in a C target. The accessors are inline in KerasSections.h, so they
// compile into the Swift module that calls them (and this file adds no debug info of its own,
// which valgrind 3.19 cannot read from clang's DWARF 5).
