/* Issue 17: ModelCheckpoint survives kill -9 (docs/RELIABILITY.md, "Saving is atomic and durable").
 *
 * For a fixed number of trials with a fixed seed, a child process (this program re-executed with
 * --child) fits a model with three ModelCheckpoints saving after every batch (.keras, .h5 and
 * .weights.h5, all into one folder) and is killed with SIGKILL at a random point once training
 * has begun. After each kill every checkpoint on disk loads (or is absent), and the next save to
 * each name removes the temporary files the killed save left, so that the folder then holds the
 * three checkpoints and nothing else. Not run under valgrind (run_tests.sh): the kills are timed. */
#define _XOPEN_SOURCE 700
#include "check.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRIALS 40
/* Under a sanitizer the library runs several times slower: the window grows with it, so that the
   children still get as far as writing checkpoints. */
#define MAX_DELAY_US (UNDER_SANITIZER ? 3200000 : 400000)
#define N_FILES 3

static const char *names[N_FILES] = {"ck.keras", "ck.h5", "ck.weights.h5"};

static keras_model *make_model(void) {
    keras_model *m = NULL;
    CHECK_OK(keras_sequential_new(NULL, &m));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8]}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 32, \"activation\": \"relu\"}}"));
    CHECK_OK(keras_sequential_add_json(m, "{\"class_name\": \"Dense\", \"config\": {\"units\": 4}}"));
    CHECK_OK(keras_model_compile(m, "{\"optimizer\": \"adam\", \"loss\": \"mse\"}"));
    return m;
}

/* Tells the parent (a byte on the pipe) that training has begun. */
static int signal_ready(void *user_data, int event, int64_t index, const char *logs_json) {
    int fd = *(int *)user_data;
    (void)index; (void)logs_json;
    if (event == KERAS_ON_TRAIN_BEGIN && write(fd, "r", 1) != 1) return 1;
    return 0;
}

/* The child: fits "forever", checkpointing after every batch. */
static int child_main(const char *dir, int fd) {
    float x[64 * 8], y[64 * 4];
    const int64_t xs[2] = {64, 8}, ys[2] = {64, 4};
    keras_callback *cbs[N_FILES + 1];
    char args[512];
    keras_model *m = make_model();
    int i;
    for (i = 0; i < 64 * 8; i++) x[i] = (float)((i * 37) % 11) / 11.0f;
    for (i = 0; i < 64 * 4; i++) y[i] = (float)((i * 13) % 5) / 5.0f;
    for (i = 0; i < N_FILES; i++) {
        snprintf(args, sizeof args, "{\"filepath\": \"%s/%s\", \"save_freq\": 1, \"save_weights_only\": %s}",
                 dir, names[i], i == 2 ? "true" : "false");
        CHECK_OK(keras_callback_from_config("ModelCheckpoint", args, &cbs[i]));
    }
    CHECK_OK(keras_callback_new_masked("ready", signal_ready, &fd, NULL, KERAS_EVENT_BIT(KERAS_ON_TRAIN_BEGIN), &cbs[N_FILES]));
    if (check_failures) return 2;
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, "{\"batch_size\": 16, \"epochs\": 1000000, \"verbose\": 0}",
                             cbs, N_FILES + 1, NULL));
    return 3; /* never reached: the parent kills it first */
}

/* Whether `name` is one of the checkpoints or a temporary file of one (".NAME.tmp-..."). */
static int temporary_of(const char *name) {
    char prefix[64];
    int i;
    for (i = 0; i < N_FILES; i++) {
        snprintf(prefix, sizeof prefix, ".%s.tmp-", names[i]);
        if (strncmp(name, prefix, strlen(prefix)) == 0) return 1;
    }
    return 0;
}

/* Counts the temporary files in `dir`; any entry that is neither a checkpoint nor a temporary
 * file of one is a failure. */
static int count_temporaries(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0, i, known;
    if (!d) { perror("opendir"); check_failures++; return 0; }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (temporary_of(e->d_name)) { n++; continue; }
        for (known = 0, i = 0; i < N_FILES; i++) known |= strcmp(e->d_name, names[i]) == 0;
        if (!known) { fprintf(stderr, "unexpected file in the checkpoint folder: %s\n", e->d_name); check_failures++; }
    }
    closedir(d);
    return n;
}

/* Every checkpoint present loads; returns how many were present. */
static int check_files_load(const char *dir, keras_model *probe, int trial) {
    char path[512];
    struct stat st;
    int i, present = 0, count = 0;
    for (i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) != 0) { CHECK(errno == ENOENT); continue; }
        present++;
        if (i == 2) {
            int rc = keras_model_load_weights(probe, path);
            if (rc != KERAS_OK) { fprintf(stderr, "trial %d: %s does not load: %s\n", trial, names[i], keras_last_error()); check_failures++; }
        } else {
            keras_model *loaded = NULL;
            int rc = keras_model_load(path, 1, &loaded);
            if (rc != KERAS_OK) { fprintf(stderr, "trial %d: %s does not load: %s\n", trial, names[i], keras_last_error()); check_failures++; continue; }
            CHECK_OK(keras_model_weight_count(loaded, &count));
            CHECK(count == 4);
            keras_model_free(loaded);
        }
    }
    return present;
}

/* The next save to each name (from this process) cleans what the killed one left. */
static void save_all(const char *dir, keras_model *m) {
    char path[512];
    int i;
    for (i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK_OK(i == 2 ? keras_model_save_weights(m, path, 1) : keras_model_save(m, path, 1));
    }
}

static void remove_all(const char *dir) {
    char path[512];
    int i;
    for (i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK(unlink(path) == 0);
    }
}

int main(int argc, char **argv) {
    char dir[] = "/tmp/keras-checkpoint-kill-XXXXXX", command[128], fdtext[16];
    unsigned seed = 17;
    int trial, present_total = 0, kills_mid_save = 0, killed = 0;
    keras_model *m;

    if (argc == 4 && strcmp(argv[1], "--child") == 0) return child_main(argv[2], atoi(argv[3]));
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    alarm(UNDER_SANITIZER ? 900 : 300); /* a watchdog: a child that never starts training must not hang the run */
    m = make_model();
    for (trial = 0; trial < TRIALS; trial++) {
        int fds[2], status = 0, stale;
        char byte;
        pid_t pid;
        if (pipe(fds) != 0) { perror("pipe"); return 1; }
        pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            close(fds[0]);
            snprintf(fdtext, sizeof fdtext, "%d", fds[1]);
            execl("/proc/self/exe", argv[0], "--child", dir, fdtext, (char *)NULL);
            _exit(127);
        }
        close(fds[1]);
        if (read(fds[0], &byte, 1) != 1) {
            fprintf(stderr, "trial %d: the child ended before training began\n", trial);
            check_failures++;
        } else {
            struct timespec delay;
            long us = (long)(rand_r(&seed) % MAX_DELAY_US);
            delay.tv_sec = us / 1000000L;
            delay.tv_nsec = us % 1000000L * 1000L;
            nanosleep(&delay, NULL);
            kill(pid, SIGKILL);
        }
        close(fds[0]);
        if (waitpid(pid, &status, 0) != pid) { perror("waitpid"); return 1; }
        killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;

        present_total += check_files_load(dir, m, trial);
        stale = count_temporaries(dir);
        kills_mid_save += stale > 0;
        save_all(dir, m);
        CHECK(count_temporaries(dir) == 0);
        remove_all(dir); /* what the next trial finds, its child wrote */
        if (check_failures) break;
    }
    CHECK(killed == TRIALS);
    /* Not vacuous: the children got as far as writing checkpoints (3 per batch). */
    CHECK(present_total >= TRIALS);
    printf("test_checkpoint_kill: %d kills, %d checkpoints loaded after a kill, %d kills left temporary files (cleaned by the next save)\n",
           killed, present_total, kills_mid_save);

    keras_model_free(m);
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    CHECK(system(command) == 0);
    CHECK_DONE("test_checkpoint_kill");
}
