# Writes N synthetic sample-like JSONL records (st-verify output shape): nested fields, long multi-line strings with
# escapes and non-ASCII text. Deterministic: awk's srand(SEED). Usage: awk -v N=1000 -v SEED=1 -f gen-samples.awk
function pick(arr, n) { return arr[int(rand() * n) + 1] }
function sentence(k,   s, j) {
  s = pick(W, nw)
  for (j = 1; j < k; j++) s = s " " pick(W, nw)
  return s
}
BEGIN {
  nw = split("the a of to and in is it that for on with as was at by an be this from or are which have one had not but what all were when we there can your number each how said many some them so these would other into has more her two like him see time could no make than first been its who now people my made over did down only way find use may water long little very after words called just where most know get through back much go good new write our me man too any day same right look think also around another came come work three word must because does part even place well such here take why help put different away again off went old number great tell men say small every found still between name should home big give air line set own under read last never us left end along while might next sound below saw something thought both few those always show large often together asked house don't world going want school important until form food keep children feet land side without boy once animal life enough took four head above kind began almost live page got earth need far hand high year mother light country father let night picture being study second soon story since white ever paper hard near sentence better best across during today however sure knew it's try told young sun thing whole hear example heard several change answer room sea against top turned learn point city play toward five himself usually money seen didn't car morning I'm body upon family later turn move face door cut done group true half red fish plants living black eat short United run book gave order open ground cold really table remember tree course front American space inside ago sold café naïve résumé Zürich façade 数学 问题 答案 🙂 Ωμέγα", W, " ")
  nw = length(W)
  split("pass fail fail pass timeout unparsed pass", V, " ")
  split("cot program translate raw", M, " ")
  srand(SEED)
  for (i = 0; i < N; i++) {
    nsteps = 3 + int(rand() * 10)
    comp = ""
    for (s = 0; s < nsteps; s++) {
      a = int(rand() * 1000); b = int(rand() * 100) + 1
      comp = comp sentence(6 + int(rand() * 14)) ": " a " * " b " = " a * b ".\\n"
    }
    comp = comp "So the \\\"answer\\\" is \\t" int(rand() * 100000) ".\\nAnswer: " int(rand() * 100000)
    q = sentence(30 + int(rand() * 40)) "?"
    printf "{\"id\":\"gsm8k-%d\",\"sample\":%d,\"method\":\"%s\",\"question\":\"%s\",\"completion\":\"%s\",\"finish\":\"stop\",\"prompt_tokens\":%d,\"completion_tokens\":%d,\"flops\":%.6e,\"meta\":{\"difficulty\":%d,\"template\":\"t%d\",\"tags\":[\"arith\",\"multi-step\"],\"score\":%.17g},\"verdict\":\"%s\",\"reward\":%d,\"steps_ok\":%s,\"runtime_ms\":%.3f}\n", \
      int(i / 16), i % 16, pick(M, 4), q, comp, 100 + int(rand() * 400), 50 + int(rand() * 500), rand() * 1e12, 1 + int(rand() * 5), int(rand() * 12), rand(), pick(V, 7), (rand() < 0.4), (rand() < 0.8 ? "true" : "false"), rand() * 50
  }
}
