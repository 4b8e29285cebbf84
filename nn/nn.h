// The nn layer in one include: Module, init and every layer. Layer: nn.
// Depends only on tensor/ and autograd/ (design §1); including it pulls in autograd/ops.h.
#pragma once

#include "nn/conv.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/norm.h"
#include "nn/pool.h"
#include "nn/sequential.h"
#include "nn/stateless.h"
