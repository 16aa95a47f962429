// Executor: tasks run in order on its workers, every scheduled task runs
// before the destructor returns, and `nice` lowers the workers' scheduling
// priority below their creator's (coachd's workers yield to gRPC's threads
// on a saturated CPU).
#include "services/common/executor.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

// The calling thread's niceness (Linux: per thread, by thread id).
int ThisThreadNice() {
  errno = 0;
  const int nice =
      getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  EXPECT_EQ(errno, 0);
  return nice;
}

// The niceness of a worker of `pool`, read on the worker.
int WorkerNice(Executor& pool) {
  int nice = -100;
  absl::Notification done;
  pool.Schedule([&] {
    nice = ThisThreadNice();
    done.Notify();
  });
  done.WaitForNotification();
  return nice;
}

TEST(ExecutorTest, OneWorkerRunsTasksInTheOrderScheduled) {
  absl::Mutex mu;
  std::vector<int> order;
  {
    Executor pool(1);
    for (int i = 0; i < 100; ++i) {
      pool.Schedule([&, i] {
        absl::MutexLock lock(&mu);
        order.push_back(i);
      });
    }
  }  // The destructor runs what is queued, then joins.
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(ExecutorTest, WorkersKeepTheCreatorsPriorityByDefault) {
  Executor pool(2);
  EXPECT_EQ(WorkerNice(pool), ThisThreadNice());
}

TEST(ExecutorTest, NiceLowersEveryWorkersPriorityAndNotTheCreators) {
  const int creator = ThisThreadNice();
  Executor pool(3, /*nice=*/7);
  // Each of the three workers, held busy so that the next task goes to
  // another one.
  absl::Mutex mu;
  std::vector<int> seen;
  absl::Notification release;
  for (int i = 0; i < 3; ++i) {
    pool.Schedule([&] {
      {
        absl::MutexLock lock(&mu);
        seen.push_back(ThisThreadNice());
      }
      release.WaitForNotification();
    });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::vector<int>* s) { return s->size() == 3; }, &seen));
  }
  release.Notify();
  for (int nice : seen) EXPECT_EQ(nice, std::min(19, creator + 7));
  EXPECT_EQ(ThisThreadNice(), creator);
}

}  // namespace
}  // namespace coachd
