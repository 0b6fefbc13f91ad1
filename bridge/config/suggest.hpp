#pragma once
// "Did you mean ...?" for misspelt configuration keys and names.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::config {

// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
// two adjacent characters each cost 1 ("prot" -> "port" is 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if it is close enough to be a plausible typo
// (distance at most a third of the word's length, at least 1, at most 3); failing that,
// a candidate that extends `word` or that `word` extends (at least 3 characters shared).
std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// ", did you mean 'x'?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace passerelle::config
