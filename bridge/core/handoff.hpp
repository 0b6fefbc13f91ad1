#pragma once
// Hands work from any thread to one strand in batches (DESIGN.md §5). The first item
// queued posts one drain to the strand; items queued before that drain runs ride along
// with it, so a burst costs one post, not one per item. A drain handles at most
// kMaxBatch items and posts itself again if more wait, so that timers and other work on
// the strand are not starved. Unbounded by itself: callers bound what they push (the
// bus counts its pending events, the store's jobs are bounded by their producers).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>

namespace passerelle {

template <typename T>
class Handoff {
 public:
  using Handler = std::function<void(T&)>;
  static constexpr std::size_t kMaxBatch = 256;

  Handoff(boost::asio::any_io_executor strand, Handler handler)
      : strand_(std::move(strand)), handler_(std::move(handler)) {}
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  // Thread-safe. The handler runs on the strand, in push order.
  void push(T item) {
    bool post = false;
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(item));
      post = !scheduled_;
      scheduled_ = true;
    }
    if (post) boost::asio::post(strand_, [this] { drain(); });
  }

 private:
  void drain() {
    std::deque<T> batch;
    bool more = false;
    {
      std::lock_guard lock(mu_);
      const std::size_t n = std::min(items_.size(), kMaxBatch);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(items_.front()));
        items_.pop_front();
      }
      more = !items_.empty();
      scheduled_ = more;
    }
    for (auto& item : batch) handler_(item);
    if (more) boost::asio::post(strand_, [this] { drain(); });
  }

  boost::asio::any_io_executor strand_;
  Handler handler_;
  std::mutex mu_;
  std::deque<T> items_;
  bool scheduled_ = false;  // a drain is posted and has not taken the last item yet
};

}  // namespace passerelle
