#pragma once
// std::visit with one lambda per alternative (STYLE.md habit 4):
//   std::visit(overloaded{[](const A&) {...}, [](const B&) {...}}, v);

namespace passerelle {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace passerelle
