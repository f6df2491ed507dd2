print("st-man: not built yet")
