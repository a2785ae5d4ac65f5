/* keras_interrupt_install: keras_interrupt as the SIGINT handler for the calls that follow, armed,
 * in one call; the host's handler (with its flags and mask) back, disarmed, in one more. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <signal.h>
#include <stdint.h>

static volatile sig_atomic_t host_handled = 0;
static void host_handler(int sig) { (void)sig; host_handled++; }

/* Built from a model config, as the Python binding builds its models. */
static keras_model *make_model(void) {
    keras_model *m = NULL;
    CHECK_OK(keras_model_from_json(
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"mlp\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4]}}, "
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out\", \"units\": 2}}]}}", &m));
    CHECK_OK(keras_model_compile(m, "{\"loss\": \"mse\"}"));
    return m;
}

static int sigint_is_hosts(void) {
    struct sigaction now;
    if (sigaction(SIGINT, NULL, &now) != 0) return -1;
    return now.sa_handler == host_handler;
}

/* The SIGINT action has the host's flag and mask (the installed one keeps them). */
static int sigint_keeps_hosts_flags_and_mask(void) {
    struct sigaction now;
    if (sigaction(SIGINT, NULL, &now) != 0) return 0;
    return (now.sa_flags & SA_RESTART) != 0 && sigismember(&now.sa_mask, SIGUSR1) == 1;
}

int main(void) {
    float x[40], y[20];
    const int64_t xs[2] = {10, 4}, ys[2] = {10, 2};
    const char *long_fit = "{\"epochs\": 100000, \"batch_size\": 2, \"verbose\": 0}";
    const char *short_fit = "{\"epochs\": 2, \"verbose\": 0}";
    struct sigaction host;
    keras_model *m = make_model();
    int i;

    for (i = 0; i < 40; i++) x[i] = (float)((i * 7) % 11) / 11.0f;
    for (i = 0; i < 20; i++) y[i] = (float)(i % 3);

    /* The host's handler, with a flag and a mask that the installed one keeps. */
    memset(&host, 0, sizeof host);
    host.sa_handler = host_handler;
    host.sa_flags = SA_RESTART;
    sigemptyset(&host.sa_mask);
    sigaddset(&host.sa_mask, SIGUSR1);
    CHECK(sigaction(SIGINT, &host, NULL) == 0);

    /* Installed: a Ctrl-C goes to the library, not to the host's handler, and one landing before
     * the call's start (here, right after the installation) stops the call after its first
     * batch instead of being forgotten. */
    CHECK_OK(keras_interrupt_install(1));
    CHECK(sigint_is_hosts() == 0);
    CHECK(sigint_keeps_hosts_flags_and_mask());
    raise(SIGINT);
    CHECK(host_handled == 0);
    CHECK_ERR(KERAS_ERR_INTERRUPTED, "interrupted", keras_model_fit(m, x, 2, xs, y, 2, ys, long_fit, NULL, 0, NULL));
    /* The call consumed the arming: a later request made before the next call is forgotten. */
    keras_interrupt();
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, short_fit, NULL, 0, NULL));
    CHECK_OK(keras_interrupt_install(0));

    /* Restored: the host's handler, flags and mask are back, and the library is disarmed. */
    CHECK(sigint_is_hosts() == 1);
    CHECK(sigint_keeps_hosts_flags_and_mask());
    raise(SIGINT);
    CHECK(host_handled == 1);
    keras_interrupt();
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, short_fit, NULL, 0, NULL));

    /* An install with no call after it: its restore disarms, so a later request is forgotten. */
    CHECK_OK(keras_interrupt_install(1));
    CHECK_OK(keras_interrupt_install(0));
    keras_interrupt();
    CHECK_OK(keras_model_fit(m, x, 2, xs, y, 2, ys, short_fit, NULL, 0, NULL));

    /* Nested installs (a call made from a callback of another): only the outermost restores. */
    CHECK_OK(keras_interrupt_install(1));
    CHECK_OK(keras_interrupt_install(1));
    CHECK_OK(keras_interrupt_install(0));
    CHECK(sigint_is_hosts() == 0);
    raise(SIGINT);
    CHECK(host_handled == 1);
    CHECK_OK(keras_interrupt_install(0));
    CHECK(sigint_is_hosts() == 1);
    raise(SIGINT);
    CHECK(host_handled == 2);

    /* A restore without an install is refused and changes nothing. */
    CHECK_ERR(KERAS_ERR_STATE, "without a matching keras_interrupt_install(1)", keras_interrupt_install(0));
    CHECK(sigint_is_hosts() == 1);

    keras_model_free(m);
    signal(SIGINT, SIG_DFL);
    CHECK_DONE("test_interrupt");
}
