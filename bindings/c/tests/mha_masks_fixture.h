/* Written by scripts/make_mha_mask_fixtures.py from real Keras 3.15.1 (jax). */
#ifndef MHA_MASKS_FIXTURE_H
#define MHA_MASKS_FIXTURE_H
static const char *const mha_config = "{\"module\": \"keras\", \"class_name\": \"Functional\", \"config\": {\"name\": \"functional\", \"trainable\": true, \"layers\": [{\"module\": \"keras.layers\", \"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 5], \"dtype\": \"int32\", \"sparse\": false, \"ragged\": false, \"name\": \"tokens\", \"optional\": false}, \"registered_name\": null, \"name\": \"tokens\", \"inbound_nodes\": []}, {\"module\": \"keras.layers\", \"class_name\": \"Embedding\", \"config\": {\"name\": \"embedding\", \"trainable\": true, \"dtype\": {\"module\": \"keras\", \"class_name\": \"DTypePolicy\", \"config\": {\"name\": \"float32\"}, \"registered_name\": null}, \"input_dim\": 10, \"output_dim\": 4, \"embeddings_initializer\": {\"module\": \"keras.initializers\", \"class_name\": \"RandomUniform\", \"config\": {\"seed\": null, \"minval\": -0.05, \"maxval\": 0.05}, \"registered_name\": null}, \"embeddings_regularizer\": null, \"activity_regularizer\": null, \"embeddings_constraint\": null, \"mask_zero\": true, \"quantization_config\": null}, \"registered_name\": null, \"build_config\": {\"input_shape\": [null, 5]}, \"name\": \"embedding\", \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5], \"dtype\": \"int32\", \"keras_history\": [\"tokens\", 0, 0]}}], \"kwargs\": {}}]}, {\"module\": \"keras.layers\", \"class_name\": \"MultiHeadAttention\", \"config\": {\"name\": \"attention\", \"trainable\": true, \"dtype\": {\"module\": \"keras\", \"class_name\": \"DTypePolicy\", \"config\": {\"name\": \"float32\"}, \"registered_name\": null}, \"num_heads\": 2, \"key_dim\": 3, \"value_dim\": 3, \"dropout\": 0.0, \"use_bias\": true, \"use_gate\": false, \"output_shape\": null, \"attention_axes\": [1], \"sliding_window\": null, \"kernel_initializer\": {\"module\": \"keras.initializers\", \"class_name\": \"GlorotUniform\", \"config\": {\"seed\": null, \"input_axes\": null, \"output_axes\": null}, \"registered_name\": null}, \"bias_initializer\": {\"module\": \"keras.initializers\", \"class_name\": \"Zeros\", \"config\": {}, \"registered_name\": null}, \"kernel_regularizer\": null, \"bias_regularizer\": null, \"activity_regularizer\": null, \"kernel_constraint\": null, \"bias_constraint\": null, \"seed\": null}, \"registered_name\": null, \"build_config\": {\"shapes_dict\": {\"query_shape\": [null, 5, 4], \"value_shape\": [null, 5, 4]}}, \"name\": \"attention\", \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5, 4], \"dtype\": \"float32\", \"keras_history\": [\"embedding\", 0, 0]}}, {\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5, 4], \"dtype\": \"float32\", \"keras_history\": [\"embedding\", 0, 0]}}], \"kwargs\": {}}]}, {\"module\": \"keras.layers\", \"class_name\": \"GlobalAveragePooling1D\", \"config\": {\"name\": \"pooled_attention\", \"trainable\": true, \"dtype\": {\"module\": \"keras\", \"class_name\": \"DTypePolicy\", \"config\": {\"name\": \"float32\"}, \"registered_name\": null}, \"data_format\": \"channels_last\", \"keepdims\": false}, \"registered_name\": null, \"name\": \"pooled_attention\", \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5, 4], \"dtype\": \"float32\", \"keras_history\": [\"attention\", 0, 0]}}], \"kwargs\": {}}]}, {\"module\": \"keras.layers\", \"class_name\": \"GlobalAveragePooling1D\", \"config\": {\"name\": \"pooled_embedding\", \"trainable\": true, \"dtype\": {\"module\": \"keras\", \"class_name\": \"DTypePolicy\", \"config\": {\"name\": \"float32\"}, \"registered_name\": null}, \"data_format\": \"channels_last\", \"keepdims\": false}, \"registered_name\": null, \"name\": \"pooled_embedding\", \"inbound_nodes\": [{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": [null, 5, 4], \"dtype\": \"float32\", \"keras_history\": [\"embedding\", 0, 0]}}], \"kwargs\": {}}]}], \"input_layers\": [\"tokens\", 0, 0], \"output_layers\": [[\"pooled_attention\", 0, 0], [\"pooled_embedding\", 0, 0], [\"attention\", 0, 0], [\"embedding\", 0, 0]]}}";
#define MHA_WEIGHT_COUNT 9
static const int64_t mha_weight_sizes[9] = {40, 24, 6, 24, 6, 24, 6, 24, 4};
static const float mha_weights[158] = {
    2.138081705e-03f, 3.043497205e-01f, -5.423827171e-01f, 1.109964624e-01f, -3.459886312e-01f, -6.111184135e-02f, -2.474343032e-01f, 2.464852668e-02f,
    -4.580425918e-01f, -1.365398318e-01f, -5.847868919e-01f, 4.011134207e-01f, 6.242219359e-02f, 3.257769346e-01f, -5.272600055e-01f, 3.765824139e-01f,
    -4.945324063e-01f, 1.280388534e-01f, -5.164171383e-02f, -9.856889397e-02f, -3.208405972e-01f, 2.290554196e-01f, 4.664267302e-01f, -5.814557076e-01f,
    3.254324496e-01f, -2.867944539e-01f, -5.659165382e-01f, 6.638498306e-01f, -2.799528539e-01f, 2.700661719e-01f, -1.202709198e+00f, -5.115655065e-01f,
    -8.938612938e-01f, 7.548571378e-02f, -3.432087302e-01f, -3.516164795e-02f, -8.133224845e-01f, 5.579134226e-01f, -3.067946136e-01f, -7.392794490e-01f,
    -5.635226518e-02f, 9.797413945e-01f, -1.361478120e-01f, 4.539928138e-01f, 6.763994694e-01f, 1.369325638e+00f, 9.138959646e-01f, -1.181478426e-01f,
    -1.397036016e-01f, 6.099532843e-01f, 4.037841782e-02f, -1.730278283e-01f, -8.350890279e-01f, 6.524095535e-01f, -4.660938308e-02f, -4.168116152e-01f,
    4.830219150e-01f, -2.235454023e-01f, 9.806392193e-01f, -1.471129954e-01f, 6.614446044e-01f, -1.131729456e-03f, -8.601187468e-01f, -8.405606449e-02f,
    -4.286729693e-01f, 9.014611691e-02f, -4.516146779e-01f, 3.157564206e-03f, -1.625758410e-01f, -2.648324706e-03f, -1.122828841e+00f, 2.810539901e-01f,
    4.297749400e-01f, -2.138881087e-01f, 2.752131820e-01f, -3.848740458e-02f, 2.062993526e+00f, -8.115366218e-04f, -8.766945451e-02f, 1.886294186e-01f,
    -2.889599279e-02f, -1.967040747e-01f, 3.845095336e-01f, 3.320311606e-01f, -3.770724833e-01f, -1.680614650e-01f, -3.927576840e-01f, 1.055461541e-01f,
    -6.956722736e-01f, 1.018724680e+00f, 2.485178113e-01f, -2.101608813e-01f, -1.129770637e+00f, -2.777594328e-01f, 4.028551877e-01f, 1.182858273e-01f,
    -1.809376478e-01f, -2.013106048e-01f, -6.913210750e-01f, -1.966884732e-01f, -7.877679467e-01f, -1.122590825e-01f, 1.712296158e-02f, 8.080007434e-01f,
    8.050504923e-01f, -2.335713357e-01f, 1.868874729e-01f, -7.175792456e-01f, -2.737859488e-01f, 2.091501206e-01f, -2.679835558e-01f, 2.455090135e-01f,
    -1.547581553e-01f, 3.340072185e-02f, 2.043888271e-01f, 5.190973356e-02f, -3.343784511e-01f, -2.113192081e-01f, 3.939525187e-01f, 7.111079693e-01f,
    3.445344269e-01f, -3.849267364e-01f, -1.515952200e-01f, 3.730401099e-01f, 5.559739098e-02f, -5.518744588e-01f, -7.009202838e-01f, -2.165558040e-01f,
    -1.953644007e-01f, 2.813855708e-01f, -9.414895438e-03f, 5.496893525e-01f, 1.277436167e-01f, -4.390832782e-01f, 2.042709887e-01f, 5.559581891e-02f,
    -1.157378033e-01f, 3.040767908e-01f, 1.424538344e-01f, 5.923954248e-01f, -9.558217973e-02f, 7.228592038e-01f, 3.909883499e-01f, -1.363897026e-01f,
    -5.304928422e-01f, -2.327159792e-01f, 3.074559867e-01f, 8.673608899e-01f, -4.390414655e-01f, -9.414133430e-01f, -3.241253197e-01f, 2.077341378e-01f,
    2.543792725e-01f, -5.496062636e-01f, 8.668913506e-03f, -3.477416933e-01f, 8.994053006e-01f, 1.210169122e-01f
};

static const float mha_tokens[15] = {
    3.000000000e+00f, 4.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 1.000000000e+00f, 2.000000000e+00f, 3.000000000e+00f,
    0.000000000e+00f, 0.000000000e+00f, 5.000000000e+00f, 6.000000000e+00f, 7.000000000e+00f, 8.000000000e+00f, 9.000000000e+00f
};

#define MHA_OUTPUT_COUNT 4
static const int64_t mha_output_sizes[4] = {12, 12, 60, 60};
static const float mha_outputs[144] = {
    -6.580909491e-01f, -7.731119394e-01f, 1.586779475e+00f, -6.539456844e-01f, -6.555494070e-01f, -6.245379448e-01f, 1.622087836e+00f, -6.053994894e-01f,
    -7.212060094e-01f, -9.181844592e-01f, 1.634694695e+00f, -7.515864968e-01f, -2.160551101e-01f, 2.269078940e-01f, -2.894508541e-01f, 1.390067637e-01f,
    -2.472030222e-01f, 4.270842299e-02f, -4.531604052e-01f, 2.674481273e-01f, -3.965089917e-01f, 1.691452563e-01f, -3.904404640e-01f, -2.407224923e-01f,
    -6.620083451e-01f, -7.768942714e-01f, 1.592577696e+00f, -6.493411660e-01f, -6.541736126e-01f, -7.693296671e-01f, 1.580981255e+00f, -6.585501432e-01f,
    -5.926986933e-01f, -7.487065792e-01f, 1.471037626e+00f, -8.190104365e-01f, -5.926986933e-01f, -7.487065792e-01f, 1.471037626e+00f, -8.190104365e-01f,
    -5.926986933e-01f, -7.487065792e-01f, 1.471037626e+00f, -8.190104365e-01f, -6.516185403e-01f, -6.177324057e-01f, 1.619634986e+00f, -6.052801609e-01f,
    -6.570151448e-01f, -6.237578988e-01f, 1.622900128e+00f, -6.084484458e-01f, -6.580145359e-01f, -6.321233511e-01f, 1.623728037e+00f, -6.024698019e-01f,
    -6.096530557e-01f, -6.642523408e-01f, 1.527362823e+00f, -7.384337187e-01f, -6.096530557e-01f, -6.642523408e-01f, 1.527362823e+00f, -7.384337187e-01f,
    -5.829400420e-01f, -8.481298685e-01f, 1.533921003e+00f, -3.715637326e-01f, -7.567499280e-01f, -9.462534189e-01f, 1.667416573e+00f, -8.068442941e-01f,
    -7.873234749e-01f, -9.762084484e-01f, 1.688900709e+00f, -8.792025447e-01f, -7.450858951e-01f, -8.954325914e-01f, 1.641567588e+00f, -9.002888799e-01f,
    -7.339305878e-01f, -9.248980284e-01f, 1.641667485e+00f, -8.000330329e-01f, 6.242219359e-02f, 3.257769346e-01f, -5.272600055e-01f, 3.765824139e-01f,
    -4.945324063e-01f, 1.280388534e-01f, -5.164171383e-02f, -9.856889397e-02f, 2.138081705e-03f, 3.043497205e-01f, -5.423827171e-01f, 1.109964624e-01f,
    2.138081705e-03f, 3.043497205e-01f, -5.423827171e-01f, 1.109964624e-01f, 2.138081705e-03f, 3.043497205e-01f, -5.423827171e-01f, 1.109964624e-01f,
    -3.459886312e-01f, -6.111184135e-02f, -2.474343032e-01f, 2.464852668e-02f, -4.580425918e-01f, -1.365398318e-01f, -5.847868919e-01f, 4.011134207e-01f,
    6.242219359e-02f, 3.257769346e-01f, -5.272600055e-01f, 3.765824139e-01f, 2.138081705e-03f, 3.043497205e-01f, -5.423827171e-01f, 1.109964624e-01f,
    2.138081705e-03f, 3.043497205e-01f, -5.423827171e-01f, 1.109964624e-01f, -3.208405972e-01f, 2.290554196e-01f, 4.664267302e-01f, -5.814557076e-01f,
    3.254324496e-01f, -2.867944539e-01f, -5.659165382e-01f, 6.638498306e-01f, -2.799528539e-01f, 2.700661719e-01f, -1.202709198e+00f, -5.115655065e-01f,
    -8.938612938e-01f, 7.548571378e-02f, -3.432087302e-01f, -3.516164795e-02f, -8.133224845e-01f, 5.579134226e-01f, -3.067946136e-01f, -7.392794490e-01f
};

static const int mha_output_has_mask[4] = {0, 0, 1, 0};
static const float mha_output_masks[15] = {
    1.000000000e+00f, 1.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 1.000000000e+00f, 1.000000000e+00f, 1.000000000e+00f,
    0.000000000e+00f, 0.000000000e+00f, 1.000000000e+00f, 1.000000000e+00f, 1.000000000e+00f, 1.000000000e+00f, 1.000000000e+00f
};

#endif
