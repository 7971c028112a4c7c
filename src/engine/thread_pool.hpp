// A fixed pool of worker threads for independent leaf tasks (hashing and signing one file).
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace signet::engine {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();  // finishes queued tasks, then joins
  void submit(std::function<void()> task);
  void wait_idle();  // until the queue is empty and no task runs

 private:
  void work();
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> queue_;
  unsigned running_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace signet::engine
